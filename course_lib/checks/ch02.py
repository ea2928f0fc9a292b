"""Checks for chapter 02 — REST."""

from __future__ import annotations

from fastapi import FastAPI

from course_lib.notebook.exercises import Exercise, Incorrect, NotAttempted, expect_equal, expect_header, expect_status
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
        raise Incorrect("`constraint_for` should be a dict from each situation to a constraint name.",
                        expected="dict", got=type(answer).__name__)
    if all(value is None for value in answer.values()):
        raise NotAttempted
    for situation, expected in CONSTRAINT_FOR.items():
        got = answer.get(situation)
        if got is None:
            raise Incorrect(f"no constraint for {situation!r} yet.", expected=expected, got=None)
        if got not in CONSTRAINTS:
            raise Incorrect(f"{got!r} is not one of the six names: {', '.join(CONSTRAINTS)}.", expected=expected,
                            got=got)
        if got != expected:
            raise Incorrect(f"wrong constraint for {situation!r}.", expected=expected, got=got)


q1 = Exercise(
    "ch02.q1", "Name the REST constraint", _test_constraints,
    hint="Ask what each situation makes possible: independent deployment (client-server), any server can answer "
         "(stateless), reuse without asking (cacheable), one way to talk to everything (uniform interface), "
         "intermediaries (layered system), behaviour shipped to the client (code on demand).",
)

OFFERED = ["application/json", "text/csv"]
NEGOTIATION_CASES = [
    (None, "application/json", "no Accept header: the server's default"),
    ("*/*", "application/json", "anything goes: the server's first choice"),
    ("text/csv", "text/csv", "exactly one offered type"),
    ("text/*", "text/csv", "a wildcard subtype"),
    ("text/csv;q=0.5, application/json;q=0.9", "application/json", "the higher q wins"),
    ("text/csv, application/json;q=0.9", "text/csv", "q defaults to 1"),
    ("application/json;q=0, */*", "text/csv", "q=0 means 'not this one', even when */* would allow it"),
    ("image/png", None, "nothing offered is acceptable"),
    ("text/html, application/xml;q=0.9", None, "a browser-like Accept without */*"),
]


def _test_choose(choose_media_type) -> None:
    for accept, expected, why in NEGOTIATION_CASES:
        got = choose_media_type(accept, list(OFFERED))
        expect_equal(got, expected, f"{why}: the choice among {OFFERED} is wrong.",
                     request=f"GET /tasks with Accept: {accept}" if accept is not None else "GET /tasks, no Accept")


q2 = Exercise(
    "ch02.q2", "Negotiate a media type", _test_choose,
    hint="Split Accept on ',', then each part on ';' to find q (default 1). For each offered type take the q of the "
         "most specific matching range (exact, then 'text/*', then '*/*'); pick the highest q above 0, ties in the "
         "server's order; no header counts as '*/*'.",
)

NOTES = [{"id": 1, "text": "buy milk"}, {"id": 2, "text": "call Ada"}]


def _test_notes_route(add_notes_route) -> None:
    app = FastAPI()
    add_notes_route(app, [dict(note) for note in NOTES])
    with serving(app) as server:
        default = server.get("/notes")
        as_json = server.get("/notes", headers={"Accept": "application/json"})
        as_csv = server.get("/notes", headers={"Accept": "text/csv"})
        refused = server.get("/notes", headers={"Accept": "image/png"})
    for response in (default, as_json):
        expect_status(response, 200)
        expect_header(response, "content-type", "application/json")
        expect_equal(response.json(), NOTES, "the JSON body should be the list of notes.", request="GET /notes")
    expect_status(as_csv, 200, "Accept: text/csv is offered, so it should get 200 and CSV.")
    if not as_csv.headers.get("content-type", "").startswith("text/csv"):
        raise Incorrect("the CSV response must say what it is.", request="GET /notes (Accept: text/csv)",
                        expected="content-type: text/csv", got=as_csv.headers.get("content-type"))
    lines = as_csv.text.strip().splitlines()
    expect_equal(lines, ["id,text", "1,buy milk", "2,call Ada"], "the CSV should be a header line, then one line "
                 "per note.", request="GET /notes (Accept: text/csv)")
    expect_status(refused, 406, "nothing you offer matches Accept: image/png, so the answer is 406 Not Acceptable.")
    for response, label in ((default, "GET /notes"), (as_csv, "GET /notes (Accept: text/csv)")):
        if response.headers.get("cache-control") != "max-age=60":
            raise Incorrect("both representations should say they may be reused for a minute.", request=label,
                            expected="cache-control: max-age=60", got=response.headers.get("cache-control"))
        if "accept" not in response.headers.get("vary", "").lower():
            raise Incorrect("the representation depends on Accept, and caches must know it.", request=label,
                            expected="vary: Accept", got=response.headers.get("vary"))


q3 = Exercise(
    "ch02.q3", "One resource, two representations", _test_notes_route,
    hint="Read the Accept header (`accept: str | None = Header(default=None)`), choose with your choose_media_type "
         "(or course_lib.web.negotiation.negotiate), then return JSONResponse(...) or Response(csv_text, "
         "media_type='text/csv'), or raise HTTPException(406). Put Cache-Control and Vary on both.",
)
