import httpx
from fastapi import FastAPI

from course_lib.lab.lossy import LoseResponses, new_key, post_with_retries
from course_lib.notebook.server import serve


def _counting_app() -> FastAPI:
    app = FastAPI()
    app.state.calls = []

    @app.post("/things", status_code=201)
    def create(request_body: dict) -> dict:
        app.state.calls.append(request_body)
        return {"n": len(app.state.calls)}

    return app


def test_the_request_arrives_but_its_response_is_lost():
    app = _counting_app()
    api = serve(app)
    with httpx.Client(base_url=api.url, transport=LoseResponses(lost=1)) as client:
        response, seen = post_with_retries(client, "/things", {"a": 1})
    assert seen == ["lost: connection reset before the response arrived", "201"]
    assert response.json() == {"n": 2} and len(app.state.calls) == 2


def test_retries_give_up_after_the_last_attempt():
    api = serve(_counting_app())
    with httpx.Client(base_url=api.url, transport=LoseResponses(lost=5)) as client:
        response, seen = post_with_retries(client, "/things", {}, idempotency_key=new_key(), attempts=2)
    assert response is None and len(seen) == 2


def test_keys_are_sent_as_structured_field_strings():
    sent = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["idempotency-key"])
        return httpx.Response(201)

    with httpx.Client(base_url="http://test", transport=httpx.MockTransport(record)) as client:
        post_with_retries(client, "/x", {}, idempotency_key="abc")
    assert sent == ['"abc"'] and len(new_key()) == 36 and new_key() != new_key()
