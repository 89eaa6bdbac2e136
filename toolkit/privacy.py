"""Personal information protected: masked ID and mobile numbers, keyed hashes for matching.

China's Personal Information Protection Law treats ID numbers as sensitive: the federation's
outputs show them masked (``110105********002X``, ``139****5678``), and what must still be
matched — one person in two branches, a member gone from one period to the next — is matched
on a keyed hash (HMAC-SHA-256 with the federation's own secret, 16 hex characters), which
cannot be turned back into the number without the key. The key is made on first use in a file
beside the register, readable by its owner only, and never printed. See ``docs/privacy.md``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

#: The columns masked by default: every ID number and every mobile number.
DEFAULT_MASK = ("id_number", "mobile")
MODES = ("masked", "full")
#: The file beside the register that holds the federation's key.
KEY_FILE = ".unionkit-privacy.key"
#: How much of an HMAC a hidden column keeps: 64 bits, enough to tell a federation's people
#: apart (a collision among ten million people is about 3 in a million).
HASH_CHARS = 16
#: A resident ID or an 11-digit mobile inside free text (a message, an old register's record).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(1[3-9][0-9]{9})(?![0-9])")


@dataclass(frozen=True)
class Privacy:
    """The ``[privacy]`` settings, and the key of the run (never in a configuration file)."""

    mask: tuple[str, ...] = DEFAULT_MASK
    mode: str = "masked"
    keep_months: int = 24
    key: bytes = b""

    @property
    def masking(self) -> bool:
        return self.mode == "masked"


#: The settings of a configuration without ``[privacy]``: ID and mobile numbers masked.
DEFAULTS = Privacy()


def mask_text(text: str, mobile: bool = False) -> str:
    """``text`` masked: a mobile keeps its first 3 and last 4 characters, anything else (an ID
    number) its first 6 and last 4; a short text keeps less, and one of 4 or fewer nothing."""
    text = str(text)
    n = len(text)
    head, tail = (3, 4) if mobile and n >= 8 else (6, 4) if n >= 11 else (1, 1) if n > 4 \
        else (0, 0)
    return text[:head] + "*" * (n - head - tail) + text[n - tail:] if tail else "*" * n


def keyed(key: bytes, text: str) -> str:
    """The keyed hash of ``text`` (spaces dropped, a final x as X: one person, one hash)."""
    plain = "".join(str(text).split()).upper()
    return hmac.new(key, plain.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]


def hashed(value: Any, privacy: Privacy) -> str | None:
    """A masked column's cell as its hidden column holds it: the keyed hash (None if empty)."""
    return None if value in (None, "") else keyed(privacy.key, str(value))


def key_id(key: bytes) -> str:
    """A name for a key that does not give it away: which key a workbook's hashes were made
    with, so verify can tell another key from an edit."""
    return hmac.new(key, b"unionkit key id", hashlib.sha256).hexdigest()[:8] if key else ""


def scrub(text: str) -> str:
    """Every resident ID and 11-digit mobile inside ``text`` masked (a message written before
    masking, read back from an old register)."""
    return _MOBILE_IN_TEXT.sub(lambda m: mask_text(m.group(1), mobile=True),
                               _ID_IN_TEXT.sub(lambda m: mask_text(m.group(1)), text))


def owner_secret(path: Path, size: int = 32) -> str:
    """The hex secret in ``path``, made on first use (readable by its owner only; another
    process making it at the same moment is read, not overwritten)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as out:
            out.write(os.urandom(size).hex())
    return path.read_text().strip()


def key_path(register_path: Path | str) -> Path:
    return Path(register_path).parent / KEY_FILE


def key_for(register_path: Path | str) -> bytes:
    """The federation's key: the one beside its register (made on first use)."""
    return bytes.fromhex(owner_secret(key_path(register_path)))


def rotate_key(register_path: Path | str) -> None:
    """A new key in place of the old (written beside it, then renamed over it)."""
    path = key_path(register_path)
    fresh = path.with_name(f"{path.name}.new")
    fresh.unlink(missing_ok=True)
    owner_secret(fresh)
    os.replace(fresh, path)


def with_key(config: Any, key: bytes) -> Any:
    """``config`` with the run's key."""
    return replace(config, privacy=replace(config.privacy, key=key))


def in_mode(config: Any, mode: str) -> Any:
    """``config`` for a run in ``mode`` (``--full``: the treasurer's unmasked copy; a mode
    unionkit does not know masks)."""
    return replace(config, privacy=replace(config.privacy,
                                           mode=mode if mode in MODES else "masked"))


def keyed_config(config: Any) -> Any:
    """``config`` with a key: its own, else the one beside its register."""
    if config.privacy.key:
        return config
    from .register import default_path

    return with_key(config, key_for(default_path(config)))


def masked_columns(spec: Any, privacy: Privacy) -> tuple[Any, ...]:
    """The columns of ``spec`` the settings mask, in the spec's order: each is shown masked
    (in masked mode) and followed by the hidden column of its keyed hash."""
    return tuple(c for c in spec.columns if c.key in privacy.mask)


def shown(value: Any, column: Any, privacy: Privacy) -> Any:
    """A masked column's value as the federation's outputs show it."""
    if value is None or value == "" or not privacy.masking:
        return value
    return mask_text(str(value), mobile=column.type == "mobile")


def shield(findings: list[Any], types: dict[str, str], privacy: Privacy) -> list[Any]:
    """Findings that quote a masked column's value, quoting it masked (in masked mode)."""
    if not privacy.masking:
        return findings
    return [replace(f, value=mask_text(f.value, mobile=types.get(f.field) == "mobile"))
            if f.value and f.field in privacy.mask else f for f in findings]


def shield_files(files: Any, privacy: Privacy) -> None:
    """:func:`shield` over every file's findings (after the cross-file checks, which quote
    the IDs they match; masking twice gives the same text)."""
    if not privacy.masking:
        return
    from .spec import load_spec

    for f in files:
        if f.template is not None and f.findings:
            types = {c.key: c.type for c in load_spec(f.template).columns}
            f.findings = shield(f.findings, types, privacy)


def parse(raw: dict[str, Any], known: set[str]) -> Privacy:
    """``[privacy]`` from a configuration; ``known`` is every spec column key."""
    from .config import ConfigError

    mask = tuple(str(k) for k in raw.get("mask", DEFAULT_MASK))
    unknown = [k for k in mask if k not in known]
    if unknown:
        raise ConfigError("privacy_mask_unknown", key=repr(unknown[0]))
    mode = str(raw.get("mode", "masked"))
    if mode not in MODES:
        raise ConfigError("privacy_mode", value=repr(mode), values=", ".join(MODES))
    keep = raw.get("keep_months", 24)
    if not isinstance(keep, int) or isinstance(keep, bool) or not 1 <= keep <= 1200:
        raise ConfigError("privacy_keep_months", value=repr(keep))
    return Privacy(mask, mode, keep)
