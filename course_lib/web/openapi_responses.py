"""Document more responses in an app's OpenAPI document, after its routes exist (FastAPI's "extending OpenAPI")."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

Rule = Callable[[str, APIRoute], dict[int, str]]
Content = Callable[[int], dict[str, Any]]  # a status → the response's "content" (media type → schema)
Edit = Callable[[dict], None]
Responses = dict[int | str, dict[str, Any]]  # FastAPI's `responses=`: a status → its OpenAPI response


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every FastAPI route of `app`, those of included routers too."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path is not None:
            yield context.path, context.original_route


def uses_dependency(route: APIRoute, dependency: Callable) -> bool:
    """True when `dependency` is among the route's dependencies, at any depth."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if dependant.call is dependency:
            return True
        pending.extend(dependant.dependencies)
    return False


def edit_openapi(app: FastAPI, edit: Edit, *, last: bool = False) -> None:
    """Run `edit` on the app's OpenAPI document whenever it is built: in the order added, or after all others (last).

    A `last` edit (e.g. "every error is problem+json") sees the responses every other edit adds, also those added
    by later chapters; adding the same `last` edit twice runs it once.
    """
    edits = _edits(app)
    if last:
        if edit not in edits["last"]:
            edits["last"].append(edit)
    else:
        edits["ordered"].append(edit)


_EDITS: weakref.WeakKeyDictionary[FastAPI, dict[str, list[Edit]]] = weakref.WeakKeyDictionary()


def _edits(app: FastAPI) -> dict[str, list[Edit]]:
    """The app's OpenAPI edits, wrapping app.openapi the first time."""
    if app not in _EDITS:
        edits: dict[str, list[Edit]] = {"ordered": [], "last": []}
        _EDITS[app] = edits
        generate = app.openapi

        def openapi() -> dict:
            schema = generate()
            for edit in [*edits["ordered"], *edits["last"]]:
                edit(schema)  # edits are idempotent: FastAPI caches the document and hands the same dict back
            return schema

        app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend OpenAPI
    return _EDITS[app]


def operations(schema: dict) -> Iterator[dict]:
    """Every operation object of an OpenAPI document."""
    for methods in schema.get("paths", {}).values():
        for method, operation in methods.items():
            if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
                yield operation


def document_responses(app: FastAPI, rule: Rule, content: Content | None = None) -> None:
    """Add the responses `rule(path, route)` names to each operation of the OpenAPI document (kept if present).

    `content(status)`, when given, says what media type and body schema each added response has.
    """

    def add(schema: dict) -> None:
        for path, route in api_routes(app):
            if not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = schema.get("paths", {}).get(path, {}).get(method.lower())
                if operation is None:
                    continue
                for status, description in rule(path, route).items():
                    response = operation.setdefault("responses", {}).setdefault(
                        str(status), {"description": description}
                    )
                    if content is not None:
                        response.setdefault("content", content(status))

    edit_openapi(app, add)
