"""Route surgery for chapter deltas: a later chapter replaces routes an earlier chapter added."""

from fastapi import FastAPI


def remove_routes(app: FastAPI, path: str, methods: set[str] | None = None, prefix: bool = False) -> int:
    """Remove routes at `path` (or under it when prefix=True), only those with `methods` if given; return how many."""
    def doomed(route) -> bool:
        route_path = getattr(route, "path", None)
        if route_path is None:  # FastAPI keeps an included router whole: it goes when its prefix is under `path`
            context = getattr(route, "include_context", None)
            if context is None or not prefix or methods is not None:
                return False
            route_path = context.prefix
        hit = route_path.startswith(path) if prefix else route_path == path
        return hit and (methods is None or bool(set(getattr(route, "methods", set()) or set()) & methods))

    before = len(app.router.routes)
    app.router.routes[:] = [route for route in app.router.routes if not doomed(route)]
    app.openapi_schema = None  # regenerate /openapi.json without the removed routes
    return before - len(app.router.routes)
