"""Document more responses in an app's OpenAPI document, after its routes exist (FastAPI's "extending OpenAPI")."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

Rule = Callable[[str, APIRoute], dict[int, str]]


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every FastAPI route of `app`, those of included routers too."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
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


def document_responses(app: FastAPI, rule: Rule) -> None:
    """Add the responses `rule(path, route)` names to each operation of the OpenAPI document (kept if present)."""
    generate = app.openapi

    def openapi() -> dict:
        schema = generate()
        for path, route in api_routes(app):
            if not route.include_in_schema:
                continue
            for method in route.methods:
                operation = schema.get("paths", {}).get(path, {}).get(method.lower())
                if operation is None:
                    continue
                for status, description in rule(path, route).items():
                    operation.setdefault("responses", {}).setdefault(str(status), {"description": description})
        return schema

    app.openapi = openapi
