"""What the API gained in a chapter: its OpenAPI against the previous chapter's, computed from the apps themselves."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from course_lib.services.settings import MIN_KEY_BYTES, Settings, use_kernel_key
from course_lib.taskapi import app_for, chapter_modules

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
Spec = dict[str, Any]


@dataclass
class Changes:
    """Added (+), changed (~) and removed (-) lines, per kind of thing an OpenAPI declares."""

    operations: list[str] = field(default_factory=list)
    security_schemes: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.operations or self.security_schemes or self.schemas)


def previous_chapter(number: int) -> int | None:
    """The chapter whose app this chapter's app builds on, as its CHAPTER declares; None for the first one."""
    module = chapter_modules().get(number)
    if module is None:  # no module of its own: the API stays as the latest earlier chapter left it
        earlier = [each for each in chapter_modules() if each < number]
        return max(earlier) if earlier else None
    previous = module.CHAPTER.previous
    return None if previous is None else previous.number


@cache
def openapi(number: int) -> Spec:
    """The OpenAPI of the app as it stands at the end of chapter `number` (embedded backends: it does not depend on
    them), made once per process."""
    use_kernel_key()  # the isolated database reads its own settings from the environment
    settings = Settings(database_url=None, redis_url=None, secret_key=secrets.token_urlsafe(MIN_KEY_BYTES))
    return app_for(number, settings).openapi()


def _operations(spec: Spec) -> dict[str, Spec]:
    """'GET /tasks/{task_id}' -> its operation object."""
    return {
        f"{method.upper()} {path}": item[method]
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if method in item
    }


def _compare(before: dict[str, Any], after: dict[str, Any], describe=lambda key, value: key) -> list[str]:
    """'+ x', '~ x', '- x' for the keys added, changed (unequal values) and removed, in a stable order."""
    lines = [f"+ {describe(key, after[key])}" for key in after if key not in before]
    lines += [f"~ {describe(key, after[key])}" for key in after if key in before and before[key] != after[key]]
    lines += [f"- {describe(key, before[key])}" for key in before if key not in after]
    return lines


def _parameters(operation: Spec) -> dict[str, Spec]:
    return {f"{each.get('in')} {each.get('name')}": each for each in operation.get("parameters", [])}


def _security(operation: Spec) -> dict[str, list]:
    return {name: scopes for requirement in operation.get("security", []) for name, scopes in requirement.items()}


def operation_details(before: Spec, after: Spec) -> list[str]:
    """What changed inside one operation: its parameters, body, responses and security requirements."""
    details = [line[:2] + "parameter " + line[2:] for line in _compare(_parameters(before), _parameters(after))]
    details += [
        line[:2] + "request body"
        for line in _compare(
            {"body": before["requestBody"]} if "requestBody" in before else {},
            {"body": after["requestBody"]} if "requestBody" in after else {},
        )
    ]
    details += [
        line[:2] + "response " + line[2:]
        for line in _compare(
            before.get("responses", {}),
            after.get("responses", {}),
            lambda code, response: f"{code} {response.get('description', '')}".rstrip(),
        )
    ]
    details += [line[:2] + "security " + line[2:] for line in _compare(_security(before), _security(after))]
    return details or ["~ summary or description"]


def _scheme(name: str, scheme: Spec) -> str:
    where = scheme.get("scheme") or scheme.get("in", "")
    return f"{name} ({scheme.get('type', '?')}{' ' + where if where else ''})"


def diff(before: Spec, after: Spec) -> Changes:
    """The changes from one OpenAPI to the next."""
    old, new = _operations(before), _operations(after)
    operations = []
    for line in _compare(old, new, lambda key, value: f"{key}  {value.get('summary', '')}".rstrip()):
        operations.append(line)
        if line.startswith("~"):
            key = line[2:].split("  ")[0]
            operations += ["    " + detail for detail in operation_details(old[key], new[key])]
    old_parts, new_parts = before.get("components", {}), after.get("components", {})
    return Changes(
        operations=operations,
        security_schemes=_compare(old_parts.get("securitySchemes", {}), new_parts.get("securitySchemes", {}), _scheme),
        schemas=_compare(old_parts.get("schemas", {}), new_parts.get("schemas", {})),
    )


def api_changes(number: int) -> tuple[int | None, Changes]:
    """(the previous chapter, the changes of chapter `number`'s OpenAPI against it)."""
    previous = previous_chapter(number)
    before = openapi(previous) if previous is not None else {}
    return previous, diff(before, openapi(number))


def format_changes(number: int) -> str:
    """The changes as text: a heading, then one section per kind of change."""
    previous, changes = api_changes(number)
    against = f"chapter {previous:02d}'s" if previous is not None else "no API at all"
    heading = f"What the API gained in chapter {number:02d} (its OpenAPI against {against})"
    if not changes:
        return f"{heading}\n  Nothing: the same OpenAPI (what changed, if anything, is behaviour it does not declare)."
    sections = [
        ("Operations", changes.operations),
        ("Security schemes", changes.security_schemes),
        ("Schemas", changes.schemas),
    ]
    parts = [heading, "(+ added, ~ changed, - removed)"]
    for title, lines in sections:
        if lines:
            parts.append(f"{title}:\n" + "\n".join("  " + line for line in lines))
    return "\n".join(parts)


def show_api_changes(number: int) -> None:
    """Print what chapter `number` added to, changed in and removed from the API's OpenAPI."""
    print(format_changes(number))
