"""Responses documented after the routes exist: added where missing, with the content a rule gives."""

from fastapi import FastAPI, HTTPException

from course_lib.web.openapi_responses import document_responses, edit_openapi, operations


def small_app() -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing_id}")
    def thing(thing_id: int) -> dict:
        raise HTTPException(404)

    @app.get("/plain")
    def plain() -> dict:
        return {}

    return app


def test_document_responses_adds_statuses_with_their_content_and_keeps_existing_ones():
    app = small_app()
    document_responses(
        app,
        lambda path, route: {404: "no such thing", 422: "ignored: FastAPI has one"} if "{" in path else {},
        content=lambda status: {"application/json": {"schema": {"title": str(status)}}},
    )
    responses = app.openapi()["paths"]["/things/{thing_id}"]["get"]["responses"]
    assert responses["404"] == {
        "description": "no such thing",
        "content": {"application/json": {"schema": {"title": "404"}}},
    }
    assert responses["422"]["description"] == "Validation Error"
    assert "404" not in app.openapi()["paths"]["/plain"]["get"]["responses"]


def test_edits_run_in_order_and_a_rebuilt_document_is_the_same():
    app = small_app()
    seen = []
    edit_openapi(app, lambda schema: seen.append("first"))
    edit_openapi(app, lambda schema: seen.append("second"))
    first = app.openapi()
    assert seen == ["first", "second"]
    assert app.openapi() == first


def test_a_last_edit_runs_after_edits_added_later_and_once():
    app = small_app()
    seen = []

    def finally_(schema):
        seen.append("last")

    edit_openapi(app, finally_, last=True)
    edit_openapi(app, lambda schema: seen.append("added after"))
    edit_openapi(app, finally_, last=True)
    app.openapi()
    assert seen == ["added after", "last"]


def test_operations_lists_every_operation():
    assert sorted(op["operationId"] for op in operations(small_app().openapi())) == [
        "plain_plain_get",
        "thing_things__thing_id__get",
    ]
