"""unionkit: checked, consolidated, auditable workbooks from a trade-union federation's templates.

The library is organised by pipeline stage — ``read → validate → consolidate → write → verify`` —
with the template specs (``toolkit.spec``) and the federation configuration (``toolkit.config``)
as data beside them. The command line (``toolkit.cli``) and the web desk (``toolkit.web``) are
thin layers over these modules. A script uses the functions below (docs/api.md)::

    import toolkit
    config = toolkit.load_config("federation.toml")
    result = toolkit.consolidate("inbox", config)
    toolkit.write_workbook(result, "2026-10.xlsx", config)
    assert toolkit.verify("2026-10.xlsx", config).errors == 0
    tables = toolkit.frames("inbox", config)          # pandas, with unionkit[analysis]

``toolkit.validate``, ``toolkit.consolidate`` and ``toolkit.verify`` are these functions when
called, and the stage packages of the same names otherwise (``toolkit.consolidate.workbook``,
``from toolkit.verify import verify_workbook``).
"""

import importlib
import sys
import types

__version__ = "0.1.0"

#: The public functions (:mod:`toolkit.api`).
__all__ = ["__version__", "consolidate", "frames", "load_config", "validate", "verify",
           "write_workbook"]


class _Stage:
    """``toolkit.consolidate`` (and ``validate``, ``verify``, ``frames``): called, the API
    function; otherwise the stage package of the same name, so ``toolkit.consolidate.workbook``
    and ``import toolkit.validate as v`` (attributes read, set, patched) still reach it."""

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _module(self) -> types.ModuleType:
        return importlib.import_module(f"{__name__}.{self._name}")

    def __call__(self, *args: object, **kwargs: object) -> object:
        from . import api

        return getattr(api, self._name)(*args, **kwargs)

    def __getattr__(self, attr: str) -> object:
        return getattr(self._module(), attr)

    def __setattr__(self, attr: str, value: object) -> None:
        setattr(self._module(), attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<unionkit function and stage toolkit.{self._name}>"


class _Public:
    """``toolkit.<name>``, imported when first used (``import toolkit`` stays light, for the
    command line and every worker process). A stage package binding itself here when it is
    imported changes nothing: the name keeps answering as above."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.stage = _Stage(name) if name in ("consolidate", "frames", "validate", "verify") \
            else None

    def __get__(self, module: object, owner: type | None = None) -> object:
        if self.stage is not None:
            return self.stage
        from . import api

        return getattr(api, self.name)

    def __set__(self, module: object, value: object) -> None:
        pass  # the import system binding the stage package


class _Toolkit(types.ModuleType):
    consolidate = _Public()
    frames = _Public()
    load_config = _Public()
    validate = _Public()
    verify = _Public()
    write_workbook = _Public()


sys.modules[__name__].__class__ = _Toolkit
