"""Checks for chapter 02 — REST."""

from __future__ import annotations

import csv
import io

from fastapi import FastAPI

from course_lib.notebook.exercises import (
    Exercise,
    Incorrect,
    NotAttempted,
    cache_directives,
    expect_equal,
    header_tokens,
    media_type,
)
from course_lib.notebook.server import serving

CONSTRAINT_FOR = {
    "the browser app and the API are deployed and upgraded separately": "client-server",
    "every request carries its own credentials and Accept header; the server keeps no session": "stateless",
    "GET /client.js answers Cache-Control: public, max-age=3600": "cacheable",
    "every task is a URL, changed with the same few methods and media types": "uniform interface",
    "a reverse proxy answers for the API and the client cannot tell": "layered system",
    "the server sends a script that the browser runs": "code on demand",
}
CONSTRAINTS = sorted(set(CONSTRAINT_FOR.values()))


def _test_constraints(answer: dict) -> None:
    if not isinstance(answer, dict):
        raise Incorrect(
            "`constraint_for` should be a dict from each situation to a constraint name.",
            expected="dict",
            got=type(answer).__name__,
        )
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for situation, expected in CONSTRAINT_FOR.items():
        got = answer.get(situation)
        if got is None:
            raise Incorrect(f"no constraint for {situation!r} yet.", expected=expected, got=None)
        if got not in CONSTRAINTS:
            raise Incorrect(
                f"{got!r} is not one of the six names: {', '.join(CONSTRAINTS)}.", expected=expected, got=got
            )
        if got != expected:
            raise Incorrect(f"wrong constraint for {situation!r}.", expected=expected, got=got)


q1 = Exercise(
    "ch02.q1",
    "Name the REST constraint",
    _test_constraints,
    hint="Ask what each situation makes possible: independent deployment (client-server), any server can answer "
    "(stateless), reuse without asking (cacheable), one way to talk to everything (uniform interface), "
    "intermediaries (layered system), behaviour shipped to the client (code on demand).",
)

JSON_FIRST = ["application/json", "text/csv"]
CSV_FIRST = ["text/csv", "application/json"]
NEGOTIATION_CASES = [
    (None, JSON_FIRST, "application/json", "no Accept header: the server's first choice"),
    (None, CSV_FIRST, "text/csv", "no Accept header: the server's first choice"),
    ("*/*", JSON_FIRST, "application/json", "anything goes: the server's first choice"),
    ("*/*", CSV_FIRST, "text/csv", "anything goes: the server's first choice"),
    ("text/csv", JSON_FIRST, "text/csv", "exactly one offered type"),
    ("application/json", CSV_FIRST, "application/json", "exactly one offered type"),
    ("text/*", JSON_FIRST, "text/csv", "a wildcard subtype"),
    ("text/csv;q=0.5, application/json;q=0.9", JSON_FIRST, "application/json", "the higher q wins"),
    ("text/csv;q=0.9, application/json;q=0.5", JSON_FIRST, "text/csv", "the higher q wins"),
    ("text/csv, application/json;q=0.9", JSON_FIRST, "text/csv", "q defaults to 1"),
    (
        "application/json;q=1, text/csv",
        JSON_FIRST,
        "application/json",
        "q=1 and no q weigh the same: a tie, and the server's order breaks it",
    ),
    ("text/csv, application/json", JSON_FIRST, "application/json", "a tie: the server's order breaks it"),
    ("application/json, text/csv", CSV_FIRST, "text/csv", "a tie: the server's order breaks it"),
    ("text/csv;q=0.001", JSON_FIRST, "text/csv", "any q above 0 is acceptable, however small"),
    ("application/json;q=0, */*", JSON_FIRST, "text/csv", "q=0 means 'not this one', even when */* would allow it"),
    (
        "*/*;q=0.1, text/*",
        JSON_FIRST,
        "text/csv",
        "the most specific matching range gives the weight, wherever it stands in the header",
    ),
    (
        "text/*;q=0.8, text/csv;q=0.1, application/json;q=0.5",
        JSON_FIRST,
        "application/json",
        "text/csv itself (0.1) is more specific than text/* (0.8)",
    ),
    ("text/csv;q=0", JSON_FIRST, None, "q=0 refuses the one type it names, and nothing else is acceptable"),
    ("image/png", JSON_FIRST, None, "nothing offered is acceptable"),
    ("text/html, application/xml;q=0.9", CSV_FIRST, None, "a browser-like Accept without */*"),
]


def _test_choose(choose_media_type) -> None:
    for accept, offered, expected, why in NEGOTIATION_CASES:
        got = choose_media_type(accept, list(offered))
        expect_equal(
            got,
            expected,
            f"{why}: the choice among {offered} (the server's order) is wrong.",
            request=f"choose_media_type({accept!r}, {offered})",
        )


q2 = Exercise(
    "ch02.q2",
    "Negotiate a media type",
    _test_choose,
    hint="Split Accept on ',', then each part on ';' to find q (default 1). For each offered type take the q of the "
    "most specific matching range (exact, then 'text/*', then '*/*'); pick the highest q above 0, ties in the "
    "server's order; no header counts as '*/*'.",
)

NOTE_LISTS = (
    [{"id": 1, "text": "buy milk"}, {"id": 2, "text": "call Ada"}],
    [{"id": 7, "text": "water the plants"}],
)  # two apps: notes typed into the route cannot answer both
ROUTE_CASES = [  # Accept sent (None: no Accept header at all), the representation expected (None: 406)
    (None, "application/json"),
    ("*/*", "application/json"),
    ("application/json", "application/json"),
    ("text/csv", "text/csv"),
    ("text/*", "text/csv"),
    ("text/csv;q=0.5, application/json", "application/json"),
    ("application/json;q=0.5, text/csv", "text/csv"),
    ("text/csv, application/json", "application/json"),
    ("application/json;q=0, */*", "text/csv"),
    ("image/png", None),
]


def _get(server, path: str, accept: str | None):
    """GET with exactly this Accept; None sends none at all (httpx would otherwise add `Accept: */*`)."""
    request = server.client.build_request("GET", path, headers={} if accept is None else {"Accept": accept})
    if accept is None:
        del request.headers["accept"]
    response = server.client.send(request)
    if response.status_code >= 500:
        server.client.close()  # uvicorn closes the connection after a crash; do not reuse it
    return response


def _test_notes_route(add_notes_route) -> None:
    host = FastAPI()
    for index, notes in enumerate(NOTE_LISTS):
        app = FastAPI()
        add_notes_route(app, [dict(note) for note in notes])
        host.mount(f"/app{index}", app)
    with serving(host) as server:
        for index, notes in enumerate(NOTE_LISTS):
            for accept, expected in ROUTE_CASES:
                _check_representation(notes, accept, expected, _get(server, f"/app{index}/notes", accept))


def _check_representation(notes: list[dict], accept: str | None, expected: str | None, response) -> None:
    label = "GET /notes, no Accept header" if accept is None else f"GET /notes (Accept: {accept})"
    if len(notes) == 1:
        label += f", notes = {notes}"
    if expected is None:
        expect_equal(
            response.status_code,
            406,
            "nothing you offer matches this Accept, so the answer is 406 Not Acceptable.",
            request=label,
        )
        return
    expect_equal(response.status_code, 200, f"{expected} is acceptable here, so the answer is 200.", request=label)
    expect_equal(
        media_type(response.headers.get("content-type")),
        expected,
        "the response must be, and say it is (Content-Type), the representation this Accept prefers.",
        request=label,
    )
    if expected == "text/csv":
        rows = list(csv.reader(io.StringIO(response.text)))
        expect_equal(
            [row for row in rows if row],
            [["id", "text"]] + [[str(n["id"]), n["text"]] for n in notes],
            "the CSV should be a header line, then one line per note.",
            request=label,
        )
    else:
        expect_equal(response.json(), notes, "the JSON body should be the list of notes.", request=label)
    directives = cache_directives(response.headers.get("cache-control"))
    if directives.get("max-age") != "60" or {"no-store", "no-cache"} & set(directives):
        raise Incorrect(
            "both representations may be reused for a minute: Cache-Control with max-age=60 (and "
            "nothing that forbids reuse).",
            request=label,
            expected="cache-control: max-age=60",
            got=response.headers.get("cache-control"),
        )
    if "accept" not in header_tokens(response, "vary"):
        raise Incorrect(
            "the representation depends on Accept, and caches must know it: Vary must list Accept.",
            request=label,
            expected="vary: Accept",
            got=response.headers.get("vary"),
        )


q3 = Exercise(
    "ch02.q3",
    "One resource, two representations",
    _test_notes_route,
    hint="Read the Accept header (`accept: str | None = Header(default=None)`), choose with your choose_media_type "
    "(or course_lib.web.negotiation.negotiate), then return JSONResponse(...) or Response(csv_text, "
    "media_type='text/csv'), or raise HTTPException(406). Put Cache-Control and Vary on both.",
)
