"""JSON logs: one line per request with only safe fields, stamped with the request id (lines of any logger under the
app's, in worker threads too), an exception logged by type, never by message; a line per app."""

import json
import logging

from fastapi import FastAPI
from fastapi.testclient import TestClient

from course_lib.web.json_logs import AccessLogMiddleware, JsonFormatter, RequestLog, loggable_headers
from course_lib.web.request_ids import RequestIdMiddleware, note_user


def app_with_log() -> tuple[FastAPI, RequestLog]:
    app, log = FastAPI(), RequestLog()
    inner = log.logger.getChild("inner")

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict:  # a worker thread
        note_user(42)
        inner.info("looked up", extra={"fields": {"item": item_id}})
        return {"id": item_id}

    @app.get("/boom")
    def boom(password: str) -> None:
        raise ValueError(f"password={password}")  # a message that quotes what the client sent

    app.add_middleware(AccessLogMiddleware, log=log)
    app.add_middleware(RequestIdMiddleware)
    return app, log


def test_every_line_of_a_request_carries_its_id_and_the_access_line_only_safe_fields():
    app, log = app_with_log()
    with TestClient(app) as client:
        client.get("/items/7?token=secret", headers={"X-Request-ID": "r-1", "Authorization": "Bearer abc"})
    inner, access = log.for_request("r-1")
    assert inner["message"] == "looked up" and inner["item"] == 7 and inner["user_id"] == 42
    assert set(access) == {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "method",
        "route",
        "status",
        "duration_ms",
    }
    assert access["route"] == "/items/{item_id}" and access["status"] == 200 and access["method"] == "GET"
    assert "secret" not in json.dumps(log.lines()) and "Bearer" not in json.dumps(log.lines())


def test_an_exception_is_logged_by_type_not_message():
    app, log = app_with_log()
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom?password=hunter2", headers={"X-Request-ID": "r-2"}).status_code == 500
    (line,) = log.for_request("r-2")
    assert line["level"] == "error" and line["status"] == 500 and line["error"] == "ValueError"
    assert "hunter2" not in json.dumps(line) and "boom" in line["stack"]


def test_a_newline_in_a_message_stays_on_one_line():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "one\ntwo", None, None)
    assert "\n" not in JsonFormatter().format(record)


def test_two_apps_keep_their_own_lines():
    first, second = app_with_log(), app_with_log()
    with TestClient(first[0]) as client:
        client.get("/items/1")
    assert len(first[1].lines()) == 2 and second[1].lines() == []


def test_no_header_reaches_the_log_until_redaction_lets_it():
    assert loggable_headers({"authorization": "Bearer abc", "cookie": "s=1", "user-agent": "x"}) == {}
