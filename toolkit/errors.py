"""The one exception family for things unionkit cannot do at all.

Anything wrong *inside* a clerk's file is a finding (data), never an exception. These exceptions
are for a run that cannot go on: bad usage, a missing path, a broken configuration or spec.
The CLI maps every ``ToolkitError`` to a message and exit code 2.

An error is data too: a key of the message catalog (``error.<key>`` in
``data/messages.toml``) and its parameters, said in the user's language where it is shown
(:meth:`ToolkitError.message`); ``str()`` gives the default language.
"""

from __future__ import annotations

from typing import Any


class ToolkitError(Exception):
    """Root of every error unionkit raises on purpose."""

    def __init__(self, key: str, /, **params: Any) -> None:
        self.key, self.params = key, params
        super().__init__(key)

    def message(self, lang: str | None = None) -> str:
        from .messages import catalog, say

        if f"error.{self.key}" not in catalog():  # a spec's own text (see SpecError)
            return self.key
        return say(f"error.{self.key}", lang, **self.params)

    def __str__(self) -> str:
        return self.message()

    def __reduce__(self) -> tuple:  # the parameters travel back from a worker process too
        return _rebuilt, (type(self), self.key, self.params)


def _rebuilt(cls: type[ToolkitError], key: str, params: dict[str, Any]) -> ToolkitError:
    return cls(key, **params)


class UsageError(ToolkitError):
    """The command was called wrongly (a missing path, a bad option value)."""


class ConfigError(ToolkitError):
    """The federation configuration cannot be loaded or is inconsistent."""


class SpecError(ToolkitError):
    """A template spec is malformed (a programming or packaging error, not a clerk's): its
    text names the spec's own keys, in English, for the person who wrote the spec."""
