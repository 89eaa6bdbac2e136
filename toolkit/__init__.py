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

``toolkit.validate``, ``toolkit.consolidate`` and ``toolkit.verify`` are these functions; the
stage packages of the same names are imported by their full names
(``from toolkit.consolidate.workbook import …``).
"""

import sys
import types

__version__ = "0.1.0"

#: The public functions (:mod:`toolkit.api`).
__all__ = ["__version__", "consolidate", "frames", "load_config", "validate", "verify",
           "write_workbook"]


class _Public:
    """``toolkit.<name>``: the API function, imported when first used (``import toolkit``
    stays light, for the command line and every worker process). A stage package of the same
    name binds itself here when it is imported; the function still answers."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, module: object, owner: type | None = None) -> object:
        from . import api

        return getattr(api, self.name)

    def __set__(self, module: object, value: object) -> None:
        pass  # the import system binding the stage package: the function keeps the name


class _Toolkit(types.ModuleType):
    consolidate = _Public()
    frames = _Public()
    load_config = _Public()
    validate = _Public()
    verify = _Public()
    write_workbook = _Public()


sys.modules[__name__].__class__ = _Toolkit
