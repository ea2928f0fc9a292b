"""Header fields sent on more than one line (RFC 9110 §5.3): never silently the first line, nor the last.

list_field(lines)     a list field's lines as one list, the way a proxy may join them: If-Match: "a" and If-Match: "b"
                      mean If-Match: "a", "b" (§5.3); None when the field is absent
single_field(lines)   the value of a field that is not a list (Idempotency-Key, If-Modified-Since); lines that say the
                      same thing count once, lines that differ are RepeatedField: the request is ambiguous
A field's lines, in order, are Starlette's `Headers.getlist(name)` (`Headers(scope=scope)` in a middleware).
"""

from __future__ import annotations

from collections.abc import Sequence


class RepeatedField(ValueError):
    """A field that takes one value, sent on several lines with different values."""


def list_field(lines: Sequence[str]) -> str | None:
    """The lines of a list field joined by ", " (RFC 9110 §5.3), or None when there are none."""
    return ", ".join(line.strip() for line in lines) if lines else None


def single_field(lines: Sequence[str], name: str) -> str | None:
    """The one value of a field that is not a list; RepeatedField when its lines differ."""
    values = {line.strip() for line in lines}
    if len(values) > 1:
        raise RepeatedField(f"{name} is sent {len(lines)} times with different values: send it once")
    return lines[0] if lines else None
