import httpx

from course_lib.notebook.display import format_body, format_exchange, show_raw, table


def exchange(status=201, body=b'{"id": 1}', headers=None):
    request = httpx.Request("POST", "http://127.0.0.1:1234/tasks?x=1", json={"title": "a"})
    headers = {
        "content-type": "application/json",
        "date": "Thu, 01 Jan 2026 00:00:00 GMT",
        "location": "/tasks/1",
        **(headers or {}),
    }
    return httpx.Response(status, content=body, headers=headers, request=request)


def test_exchange_shows_request_status_headers_and_pretty_json():
    text = format_exchange(exchange())
    assert text.splitlines()[0] == "POST /tasks?x=1"
    assert "HTTP/1.1 201 Created" in text
    assert "location: /tasks/1" in text
    assert '{\n  "id": 1\n}' in text


def test_volatile_headers_and_ports_never_appear():
    text = format_exchange(exchange())
    assert "date" not in text and "1234" not in text


def test_chosen_headers_only():
    text = format_exchange(exchange(), headers=["Location"])
    assert "location: /tasks/1" in text and "content-type" not in text


def test_non_json_and_long_bodies():
    assert format_body(b"plain", "text/plain") == "plain"
    assert format_body(b"{broken", "application/json") == "{broken"
    assert "more characters" in format_body(b"x" * 5000, "text/plain")


def test_raw_bytes_show_line_endings_and_mask_the_date(capsys):
    show_raw(b"HTTP/1.1 200 OK\r\ndate: Thu, 01 Jan 2026\r\n\r\nbody")
    assert capsys.readouterr().out == "HTTP/1.1 200 OK␍␊\ndate: <date>␍␊\n␍␊\nbody\n"


def test_table_aligns_columns(capsys):
    table([{"code": 200, "meaning": "OK"}, {"code": 404, "meaning": "Not Found"}])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "code  meaning"
    assert lines[3] == "404   Not Found"
