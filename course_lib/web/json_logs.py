"""JSON logs: one JSON object per line, each stamped with the request id (and user id) of the request it belongs to.

- `JsonFormatter` writes a record as one line of JSON: time (UTC), level, logger, message, and the record's `fields`
  (`logger.info("...", extra={"fields": {...}})`), so a log store indexes them without a regular expression;
- `RequestIdFilter` adds the current request's id and user id to every record that passes a handler, whichever
  logger wrote it, while a request is being served (request_ids.py keeps them in a context variable);
- `RequestLog` is one app's access log: a logger of its own (many apps share one process in the notebooks and the
  tests), a bounded in-memory copy of its last lines, and an optional stream (stdout in production);
- `AccessLogMiddleware` writes one line per request with only what is safe to keep: method, route template, status,
  duration, request id and user id. No header, no query string, no body: those carry tokens, cookies and passwords.
  A change that wants to log headers must route them through `loggable_headers`, the single point where chapter 20's
  redaction applies.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import traceback
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TextIO

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course_lib.web.metrics import method_label, route_template
from course_lib.web.problems import UNHANDLED
from course_lib.web.request_ids import current_request

KEEP = 1000  # lines of a RequestLog kept in memory
_apps = itertools.count(1)


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time, level, logger, message, request_id, user_id, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", "user_id", "trace_id"):
            if getattr(record, name, None) is not None:
                line[name] = getattr(record, name)
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line["error"] = type(error).__name__  # the type, not the message: a message may quote a secret
            line["stack"] = "".join(traceback.format_tb(error.__traceback__))
        return json.dumps(line, default=str)  # json.dumps escapes newlines: one record is always one line


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request's id and user id (None outside a request), and the id of its trace
    when the request is traced (sampled), so a line leads to its trace and a trace to its lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current_request()
        if getattr(record, "request_id", None) is None:
            record.request_id = None if info is None else info.request_id
        if getattr(record, "user_id", None) is None:
            record.user_id = None if info is None else info.user_id
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid and context.trace_flags.sampled else None
        return True


class _Lines(logging.Handler):
    """Keeps the last `keep` formatted lines, and writes each to `stream` if one is given."""

    def __init__(self, keep: int, stream: TextIO | None) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=keep)
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
            self.lines.append(line)
            if self.stream is not None:
                self.stream.write(line + "\n")
        except Exception:  # a log line that cannot be written must never fail the request
            self.handleError(record)


class RequestLog:
    """One app's JSON log: `logger` (its own, not propagated), the last `keep` lines in memory, `stream` if given."""

    def __init__(self, name: str = "taskapi", stream: TextIO | None = None, keep: int = KEEP) -> None:
        self.logger = logging.getLogger(f"course_lib.requests.{name}.{next(_apps)}")
        self.logger.propagate = False  # the lines go to this app's handler only, never twice through the root
        self.logger.setLevel(logging.INFO)
        self.handler = _Lines(keep, stream)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(RequestIdFilter())
        self.logger.addHandler(self.handler)

    def lines(self) -> list[dict]:
        """The kept lines, oldest first, parsed."""
        return [json.loads(line) for line in self.handler.lines]

    def for_request(self, request_id: str) -> list[dict]:
        """The kept lines of one request."""
        return [line for line in self.lines() if line.get("request_id") == request_id]

    def close(self) -> None:
        """Detach the handler (the logger itself lives as long as the process: logging keeps every logger)."""
        self.logger.removeHandler(self.handler)


def loggable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The one place request headers may enter a log: today none do (an empty dict). Chapter 20's redaction goes
    here, so that Authorization, cookies and tokens can never reach a log line by another path."""
    return {}


class AccessLogMiddleware:
    """One JSON line per request: method, route template, status, duration, with the request's id and user id;
    an exception escaping the app is logged as an error (its type and stack, not its message) and raised again, and so
    is one the app answered 500 for inside (problems.UnhandledErrorMiddleware leaves it in the scope)."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, written = 500, False  # 500: an exception before the response starts, the server answers 500

        async def logging_send(message: Message) -> None:
            nonlocal status, written
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False) and not written:
                written = True  # before the last byte leaves: whoever reads the log next finds this line
                error = scope.get(UNHANDLED)  # a 500 answered inside the app for an exception (problems.py)
                self._write(scope, status, started, logging.ERROR if error else logging.INFO, exc_info=error or False)
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        except Exception:
            if not written:
                written = True
                self._write(scope, 500, started, logging.ERROR, exc_info=True)
            raise
        if not written:
            self._write(scope, status, started, logging.INFO)

    def _write(
        self, scope: Scope, status: int, started: float, level: int, exc_info: bool | BaseException = False
    ) -> None:
        fields = {
            "method": method_label(scope["method"]),
            "route": route_template(scope),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        }
        self.log.logger.log(level, "request", extra={"fields": fields}, exc_info=exc_info)
