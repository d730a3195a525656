"""Configuration YAML read safely: plain data only, no anchors or aliases, bounded size.

``dataset.yaml``, route sets, the CLAS code map and the SSDA903 code lists are YAML
written by people. :func:`load_yaml` reads them with PyYAML's safe loader (no Python
objects) after refusing anchors and aliases (``&name`` / ``*name``): a few hundred bytes
of nested aliases expand to gigabytes (a "billion laughs"), and configuration never
needs them. A file over :data:`MAX_BYTES` is refused before it is parsed. Every failure
is a :class:`~pace_analysis.errors.PaceError` naming the file, line and column.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from pace_analysis.errors import PaceError

#: Largest configuration file accepted (bytes).
MAX_BYTES = 1 << 20


def _where(origin: str, mark) -> str:
    return f"{origin}, line {mark.line + 1}, column {mark.column + 1}" if mark else origin


def parse_yaml(text: str, origin: str):
    """Parse YAML *text* (from *origin*, for messages) into plain Python data.

    Raises
    ------
    PaceError
        The text is too long, is not YAML, or uses an anchor or alias.
    """
    if len(text) > MAX_BYTES:
        raise PaceError(f"{origin} is {len(text):,} characters; configuration files are at most "
                        f"{MAX_BYTES:,}")
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                name = getattr(event, "anchor", None)
                raise PaceError(f"{_where(origin, event.start_mark)}: YAML anchors and aliases "
                                f"('&{name}' / '*{name}') are not accepted in configuration; "
                                "write the values out in full")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PaceError(f"{_where(origin, mark)}: not valid YAML ({problem})") from None


def load_yaml(path: str | os.PathLike, what: str | None = None):
    """Read and parse a YAML file with :func:`parse_yaml`.

    Raises
    ------
    PaceError
        The file cannot be read, is not UTF-8, is too long or is not safe YAML.
    """
    p = Path(path)
    origin = what or str(p)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise PaceError(f"{origin} is {p.stat().st_size:,} bytes; configuration files are "
                            f"at most {MAX_BYTES:,}")
        data = p.read_bytes()
    except OSError as exc:
        raise PaceError(f"cannot read {origin}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PaceError(f"{origin}, line {line}: byte {data[exc.start]:02X} is not UTF-8; "
                        "save the file as UTF-8") from None
    return parse_yaml(text, origin)


__all__ = ["MAX_BYTES", "parse_yaml", "load_yaml"]
