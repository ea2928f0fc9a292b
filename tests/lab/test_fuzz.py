import random

from fastapi import FastAPI
from pydantic import BaseModel, Field

from course_lib.lab.fuzz import fuzz, mutate, random_path
from course_lib.notebook.server import serve
from course_lib.web.problems import install_problem_details


class Split(BaseModel):
    total: int
    people: int


def fragile_app(people_rule=None) -> FastAPI:
    app = FastAPI()
    model = (
        Split
        if people_rule is None
        else type("SafeSplit", (Split,), {"__annotations__": {"people": int}, "people": people_rule})
    )

    @app.post("/split")
    def split(body: model) -> dict:
        return {"each": body.total // body.people}

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict:
        return {"id": item_id}

    return install_problem_details(app)


ENDPOINTS = ["POST /split", "GET /items/{id}"]
EXAMPLES = {"POST /split": {"total": 100, "people": 4}}


def test_fuzz_finds_the_input_that_breaks_a_handler():
    report = fuzz(serve(fragile_app(), name="test-fuzz"), ENDPOINTS, count=150, examples=EXAMPLES)
    assert not report.ok and report.count == 150
    assert all("500" in failure for failure in report.failures)


def test_fuzz_passes_once_the_rule_is_declared():
    report = fuzz(serve(fragile_app(Field(ge=1)), name="test-fuzz"), ENDPOINTS, count=150, examples=EXAMPLES)
    assert report.ok, report.failures
    assert report.not_problem == []
    assert {200, 422} <= set(report.statuses)
    assert report.summary().startswith("150 requests · statuses seen: ")


def test_same_seed_same_requests():
    api = serve(fragile_app(Field(ge=1)), name="test-fuzz")
    first, second = (fuzz(api, ENDPOINTS, count=60, seed=3, examples=EXAMPLES) for _ in range(2))
    assert first.statuses == second.statuses


def test_mutations_and_paths():
    rng = random.Random(0)
    bodies = [mutate({"title": "a", "done": False}, rng) for _ in range(50)]
    assert any("title" not in body for body in bodies) and any(len(body) > 2 for body in bodies)
    assert all(random_path("/tasks/{id}", rng).startswith("/tasks/") for _ in range(20))
