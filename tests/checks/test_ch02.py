"""Each checker against its stub, its solution and known-wrong answers."""

import json

from fastapi import Header, HTTPException, Response
from fastapi.responses import JSONResponse

from course_lib.checks.ch02 import CONSTRAINT_FOR, q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.web.negotiation import negotiate, to_csv


def test_q1_constraints():
    assert q1.evaluate(dict.fromkeys(CONSTRAINT_FOR)).status == NOT_ATTEMPTED
    assert q1.evaluate(dict(CONSTRAINT_FOR)).status == CORRECT
    swapped = {**CONSTRAINT_FOR, "a reverse proxy answers for the API and the client cannot tell": "cacheable"}
    result = q1.evaluate(swapped)
    assert result.status == INCORRECT and result.expected == "layered system" and result.got == "cacheable"
    made_up = q1.evaluate({**CONSTRAINT_FOR, "the server sends a script that the browser runs": "javascript"})
    assert made_up.status == INCORRECT and "not one of the six" in made_up.message


def test_q2_negotiation():
    def stub(accept, offered):
        raise NotImplementedError

    def first_match_ignoring_q(accept, offered):
        for part in (accept or "*/*").split(","):
            media_range = part.split(";")[0].strip()
            for media_type in offered:
                if media_range in (media_type, "*/*", media_type.split("/")[0] + "/*"):
                    return media_type
        return None

    def always_json(accept, offered):
        return "application/json"

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(negotiate).status == CORRECT
    ignoring_q = q2.evaluate(first_match_ignoring_q)
    assert ignoring_q.status == INCORRECT and ignoring_q.expected == "application/json"
    assert (
        ignoring_q.request == "choose_media_type('text/csv;q=0.5, application/json;q=0.9', "
        "['application/json', 'text/csv'])"
    )
    assert q2.evaluate(always_json).status == INCORRECT


def test_q2_ties_and_specificity_are_probed():
    def ranges(accept):
        for part in (accept or "*/*").split(","):
            media_range, *params = [piece.strip() for piece in part.split(";")]
            q = next((float(p.split("=")[1]) for p in params if p.startswith("q=")), 1.0)
            yield media_range, q

    def last_of_ties(accept, offered):
        best = max(negotiate_weight(accept, t) for t in offered)
        winners = [t for t in offered if negotiate_weight(accept, t) == best]
        return winners[-1] if best > 0 else None

    def first_matching_range(accept, offered):
        def weight(media_type):
            for media_range, q in ranges(accept):
                if media_range in (media_type, "*/*", media_type.split("/")[0] + "/*"):
                    return q
            return 0.0

        best = max(offered, key=weight)
        return best if weight(best) > 0 else None

    def json_first_always(accept, offered):
        return negotiate(accept, ["application/json", "text/csv"])

    def zero_is_still_acceptable(accept, offered):
        matched = [t for t in offered if any(r in (t, "*/*", t.split("/")[0] + "/*") for r, _ in ranges(accept))]
        return max(matched, key=lambda t: negotiate_weight(accept, t)) if matched else None

    tie = q2.evaluate(last_of_ties)
    assert tie.status == INCORRECT and "first choice" in tie.message and tie.got == "text/csv"
    specific = q2.evaluate(first_matching_range)
    assert specific.status == INCORRECT and "specific" in specific.message
    assert q2.evaluate(json_first_always).status == INCORRECT
    refused = q2.evaluate(zero_is_still_acceptable)
    assert refused.status == INCORRECT and refused.expected is None and refused.got == "text/csv"


def negotiate_weight(accept, media_type):
    from course_lib.web.negotiation import quality

    return quality(accept, media_type)


def _solution(app, notes):
    @app.get("/notes")
    def list_notes(accept: str | None = Header(default=None)):
        chosen = negotiate(accept, ["application/json", "text/csv"])
        if chosen is None:
            raise HTTPException(406)
        headers = {"Cache-Control": "max-age=60", "Vary": "Accept"}
        if chosen == "text/csv":
            return Response(to_csv(notes), media_type="text/csv", headers=headers)
        return JSONResponse(notes, headers=headers)


def _route(accept_to_type=negotiate, headers=None, json_type=None, csv_text=to_csv, fixed_notes=None):
    """A notes route with one thing changed at a time."""
    headers = headers if headers is not None else {"Cache-Control": "max-age=60", "Vary": "Accept"}

    def add(app, notes):
        @app.get("/notes")
        def list_notes(accept: str | None = Header(default=None)):
            shown = fixed_notes if fixed_notes is not None else notes
            chosen = accept_to_type(accept, ["application/json", "text/csv"])
            if chosen is None:
                raise HTTPException(406)
            if chosen == "text/csv":
                return Response(csv_text(shown), media_type="text/csv", headers=headers)
            if json_type:
                return Response(json.dumps(shown), media_type=json_type, headers=headers)
            return JSONResponse(shown, headers=headers)

    return add


def test_q3_notes_route():
    def stub(app, notes):
        raise NotImplementedError

    def json_only(app, notes):
        @app.get("/notes")
        def list_notes():
            return JSONResponse(notes, headers={"Cache-Control": "max-age=60", "Vary": "Accept"})

    def csv_but_no_406(app, notes):
        @app.get("/notes")
        def list_notes(accept: str | None = Header(default=None)):
            headers = {"Cache-Control": "max-age=60", "Vary": "Accept"}
            if accept == "text/csv":
                return Response(to_csv(notes), media_type="text/csv", headers=headers)
            return JSONResponse(notes, headers=headers)

    def no_cache_headers(app, notes):
        @app.get("/notes")
        def list_notes(accept: str | None = Header(default=None)):
            chosen = negotiate(accept, ["application/json", "text/csv"])
            if chosen is None:
                raise HTTPException(406)
            if chosen == "text/csv":
                return Response(to_csv(notes), media_type="text/csv")
            return notes

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(_solution).status == CORRECT
    wrong = q3.evaluate(json_only)
    assert wrong.status == INCORRECT and wrong.request == "GET /notes (Accept: text/csv)"
    assert wrong.got == "application/json"
    no_406 = q3.evaluate(csv_but_no_406)
    assert no_406.status == INCORRECT and no_406.request == "GET /notes (Accept: text/*)"
    uncached = q3.evaluate(no_cache_headers)
    assert uncached.status == INCORRECT and uncached.expected == "cache-control: max-age=60"


def test_q3_valid_alternatives_are_correct():
    reordered = {"Cache-Control": "public, Max-Age=60", "Vary": "Origin, Accept"}
    assert q3.evaluate(_route(headers=reordered)).status == CORRECT
    assert q3.evaluate(_route(json_type="application/json; charset=utf-8")).status == CORRECT

    def quoted_csv(notes):
        return "id,text\r\n" + "".join(f'{n["id"]},"{n["text"]}"\r\n' for n in notes)

    assert q3.evaluate(_route(csv_text=quoted_csv)).status == CORRECT


def test_q3_wrong_answers_the_issue_found():
    vary_substring = q3.evaluate(_route(headers={"Cache-Control": "max-age=60", "Vary": "Accept-Encoding"}))
    assert vary_substring.status == INCORRECT and vary_substring.expected == "vary: Accept"

    def crashes_without_accept(accept, offered):
        return negotiate(accept.strip(), offered)

    no_accept = q3.evaluate(_route(accept_to_type=crashes_without_accept))
    assert no_accept.status == INCORRECT and no_accept.request == "GET /notes, no Accept header"
    assert no_accept.got == 500 and any(
        "AttributeError" in line and "accept.strip()" in line for line in no_accept.lines()
    )

    def csv_if_mentioned(accept, offered):
        return "text/csv" if accept and "text/csv" in accept else negotiate(accept, offered)

    ignores_q = q3.evaluate(_route(accept_to_type=csv_if_mentioned))
    assert ignores_q.status == INCORRECT
    assert ignores_q.request == "GET /notes (Accept: text/csv;q=0.5, application/json)"

    def csv_wins_ties(accept, offered):
        return (
            negotiate(accept, ["text/csv", "application/json"])
            if accept and "text/csv" in accept
            else negotiate(accept, offered)
        )

    assert q3.evaluate(_route(accept_to_type=csv_wins_ties)).status == INCORRECT
    no_store = q3.evaluate(_route(headers={"Cache-Control": "max-age=60, no-store", "Vary": "Accept"}))
    assert no_store.status == INCORRECT
    typed_in = q3.evaluate(_route(fixed_notes=[{"id": 1, "text": "buy milk"}, {"id": 2, "text": "call Ada"}]))
    assert typed_in.status == INCORRECT and "water the plants" in typed_in.request
