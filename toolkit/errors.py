"""The one exception family for things unionkit cannot do at all.

Anything wrong *inside* a clerk's file is a finding (data), never an exception. These exceptions
are for a run that cannot go on: bad usage, a missing path, a broken configuration or spec.
The CLI maps every ``ToolkitError`` to a message and exit code 2.
"""


class ToolkitError(Exception):
    """Root of every error unionkit raises on purpose."""


class UsageError(ToolkitError):
    """The command was called wrongly (a missing path, a bad option value)."""


class ConfigError(ToolkitError):
    """The federation configuration cannot be loaded or is inconsistent."""


class SpecError(ToolkitError):
    """A template spec is malformed (a programming or packaging error, not a clerk's)."""
