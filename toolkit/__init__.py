"""unionkit: checked, consolidated, auditable workbooks from a trade-union federation's templates.

The library is organised by pipeline stage — ``read → validate → consolidate → write → verify`` —
with the template specs (``toolkit.spec``) and the federation configuration (``toolkit.config``)
as data beside them. The command line (``toolkit.cli``) is a thin layer over these modules.
"""

__version__ = "0.1.0"
