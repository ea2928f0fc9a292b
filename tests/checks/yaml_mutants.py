"""Mutants of a YAML answer (a workflow written as a text in a solution cell): each key and list item removed, each
scalar changed — a string shortened by its last character, a boolean negated, an integer ±1.

`yaml_mutations(text) -> list[tuple[str, str]]` gives (description, mutated text) for a text that is a multi-line
YAML mapping, [] for any other string. Descriptions name the place by its path (`jobs.test.steps[2].run`), so they
stay stable across edits elsewhere. tests/checks/mutants.py applies them to string constants of a solution cell.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from course_lib.lab.workflows import WorkflowError, parse


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True)


def _at(data: Any, path: list[Any]) -> Any:
    for key in path:
        data = data[key]
    return data


def _clip(value: Any, width: int = 50) -> str:
    text = repr(value)
    return text if len(text) <= width else "…" + text[-(width - 1) :]  # the end: where a shortened string differs


def yaml_mutations(text: str) -> list[tuple[str, str]]:
    """(description, mutated text) of every mutant of a multi-line YAML mapping; [] for any other text."""
    if "\n" not in text.strip():
        return []
    try:
        data = parse(text)
    except WorkflowError:
        return []
    found: list[tuple[str, str]] = []
    keys: list[tuple[str, list[Any]]] = []

    def walk(value: Any, path: str, trail: list[Any]) -> None:
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            here = f"{path}[{key}]" if isinstance(value, list) else f"{path}.{key}" if path else str(key)
            keys.append((here, [*trail, key]))
            walk(child, here, [*trail, key])

    walk(data, "", [])
    for here, trail in keys:
        removed = copy.deepcopy(data)
        container = _at(removed, trail[:-1])
        del container[trail[-1]]
        found.append((f"removed `{here}`", _dump(removed)))
        value = _at(data, trail)
        changes: list[Any] = []
        if isinstance(value, bool):
            changes = [not value]
        elif isinstance(value, int):
            changes = [value + 1, value - 1]
        elif isinstance(value, str) and value:
            changes = [value[:-1]]
        for change in changes:
            changed = copy.deepcopy(data)
            _at(changed, trail[:-1])[trail[-1]] = change
            found.append((f"`{here}`: {_clip(value)} → {_clip(change)}", _dump(changed)))
    return found


_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def expression_mutations(text: str) -> list[tuple[str, str]]:
    """(description, mutated text) for each `${{ }}` in `text`: the expression removed, `||` and `&&` swapped, each
    operand of an `||` dropped (the fallback of `a || b` lost, or the only value it had)."""
    found: list[tuple[str, str]] = []
    for match in _EXPRESSION.finditer(text):
        whole, inner = match.group(0), match.group(1)
        found.append((f"`{whole}` removed", text[: match.start()] + text[match.end() :]))

        def with_inner(new: str, match: re.Match[str] = match) -> str:
            return text[: match.start(1)] + new + text[match.end(1) :]

        for op, other in (("||", "&&"), ("&&", "||")):
            for at in re.finditer(re.escape(op), inner):
                found.append(
                    (f"`{op}` → `{other}` in `{whole}`", with_inner(inner[: at.start()] + other + inner[at.end() :]))
                )
        operands = [operand.strip() for operand in inner.split("||")]
        if len(operands) > 1:
            for index, operand in enumerate(operands):
                kept = " || ".join(operands[:index] + operands[index + 1 :])
                found.append((f"`{operand}` dropped from `{whole}`", with_inner(f" {kept} ")))
    return found
