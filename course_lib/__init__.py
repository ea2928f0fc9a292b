"""Backend from First Principles: the helpers every chapter imports, and the reference task API."""

from course_lib.chapter import start_chapter
from course_lib.display import show, show_raw, table
from course_lib.server import RunningServer, ServerStartError, serve, serving, stop
from course_lib.settings import Settings, get_settings
from course_lib.source import show_source

__all__ = [
    "RunningServer",
    "ServerStartError",
    "Settings",
    "get_settings",
    "serve",
    "serving",
    "show",
    "show_raw",
    "show_source",
    "start_chapter",
    "stop",
    "table",
]
