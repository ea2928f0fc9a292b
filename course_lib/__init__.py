"""Backend from First Principles: the helpers every chapter imports, and the reference task API."""

from course_lib.notebook.chapter import start_chapter
from course_lib.notebook.display import show, show_raw, table
from course_lib.notebook.server import RunningServer, ServerStartError, serve, serving, stop
from course_lib.notebook.source import show_source
from course_lib.services.settings import Settings, get_settings

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
