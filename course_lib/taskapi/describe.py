"""The app of a chapter, printed: middleware outermost first, routes, seams and resources, each with its chapter."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from fastapi.routing import iter_route_contexts

from course_lib.taskapi.context import AppContext, TaskAPI
from course_lib.taskapi.seams import Seams

BEGIN, END = "<!-- describe:begin -->", "<!-- describe:end -->"


def _by(chapters: list[int] | int | None) -> str:
    """'ch 05' or 'ch 05, 09, 15' or 'build' (set while the app is assembled, before any chapter)."""
    if chapters is None:
        return "build"
    numbers = [chapters] if isinstance(chapters, int) else chapters
    return "ch " + ", ".join(f"{number:02d}" for number in numbers)


def _name(value: object) -> str:
    """A readable name for a seam's value: a function's or a class's name, else its type's."""
    return getattr(value, "__name__", None) or type(value).__name__


def _methods(route: object) -> str:
    methods = sorted((getattr(route, "methods", None) or set()) - {"HEAD"})
    return ",".join(methods) or "ANY"


def middleware_names(app: TaskAPI) -> list[str]:
    """The class name of each middleware the chapters added, outermost first."""
    return [getattr(entry.cls, "__name__", repr(entry.cls)) for entry in app.user_middleware]


def middleware_lines(app: TaskAPI) -> list[str]:
    """Each middleware the chapters added, outermost first (Starlette's own error handling wraps them all)."""
    return [
        f"{index:>2}. {name:<28} {_by(app.origins.middleware_chapters.get(id(entry)))}"
        for index, (name, entry) in enumerate(zip(middleware_names(app), app.user_middleware, strict=True), 1)
    ]


def route_lines(app: TaskAPI) -> list[str]:
    """Every route: methods, path, the chapter that added it (an included router: each of its routes), and whether
    the OpenAPI documents it."""
    lines = []
    for entry in app.routes:
        for route in iter_route_contexts([entry]):
            hidden = "" if getattr(route, "include_in_schema", False) else "  (not in the OpenAPI)"
            added_by = _by(app.origins.route_chapters.get(id(entry)))
            lines.append(f"{_methods(route):<18} {route.path or '?':<36} {added_by}{hidden}")
    return lines


def seam_lines(app: TaskAPI) -> list[str]:
    """Each seam, what fills it now, and the chapters that swapped it."""
    seams = app.context.seams
    return [
        f"{seam.name:<22} {_name(getattr(seams, seam.name)):<34} {_by(app.origins.seams.get(seam.name))}"
        for seam in fields(Seams)
    ]


def resource_lines(app: TaskAPI) -> list[str]:
    """Each field of the app's context: the chapter that adds it, its declared type, and what it holds."""
    return [
        f"{each.name:<16} {_by(each.metadata['chapter']):<7} {str(each.type):<30} {each.metadata['what']}"
        for each in fields(AppContext)
        if not each.name.startswith("_")
    ]


def describe(app: TaskAPI) -> str:
    """The whole description, as plain text."""
    sections = [
        (f"{app.title} {app.version}: middleware, outermost first", middleware_lines(app)),
        ("Routes (methods, path, added by)", route_lines(app)),
        ("Seams (what fills each now, swapped by)", seam_lines(app)),
        ("Resources on app.context (added by, type, what)", resource_lines(app)),
    ]
    return "\n\n".join(title + "\n" + "\n".join("  " + line for line in lines) for title, lines in sections) + "\n"


def request_path_diagram(app: TaskAPI) -> str:
    """A Mermaid flowchart of the way a request goes: the middleware in order, the router, the seams, the storage."""
    added = [_by(app.origins.middleware_chapters.get(id(entry))) for entry in app.user_middleware]
    steps = [
        "client",
        *(f"{name} ({by})" for name, by in zip(middleware_names(app), added, strict=True)),
        "route: one router per resource",
        "seams: what the chapters swapped",
        "storage: one unit of work",
    ]
    lines = ["flowchart TD"] + [f'    s{index}["{step}"]' for index, step in enumerate(steps)]
    lines += [f"    s{index} --> s{index + 1}" for index in range(len(steps) - 1)]
    return "\n".join(lines)


def markdown_section(app: TaskAPI) -> str:
    """What docs/architecture.md holds between its markers: the description and the request path diagram."""
    return f"{BEGIN}\n```text\n{describe(app)}```\n\n```mermaid\n{request_path_diagram(app)}\n```\n{END}"


def write_section(app: TaskAPI, document: Path) -> bool:
    """Replace the generated section of `document`; True when it changed."""
    text = document.read_text()
    updated = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: markdown_section(app), text, flags=re.S)
    document.write_text(updated)
    return updated != text
