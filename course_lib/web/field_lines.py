"""Header fields sent on more than one line (RFC 9110 §5.3): never silently the first line, nor the last.

list_field(lines)     a list field's lines as one list, the way a proxy may join them: If-Match: "a" and If-Match: "b"
                      mean If-Match: "a", "b" (§5.3); None when the field is absent
single_field(lines)   the value of a field that is not a list (Idempotency-Key, If-Modified-Since); lines that say the
                      same thing count once, lines that differ are RepeatedField: the request is ambiguous
lines_of(scope, name) a field's lines in an ASGI scope, in order
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import Scope


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


def lines_of(scope: Scope, name: str) -> list[str]:
    """The lines of field `name` (lower case) in an ASGI scope's headers."""
    wanted = name.encode()
    return [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == wanted]
