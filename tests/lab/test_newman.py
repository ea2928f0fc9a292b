"""Newman runs the generated Postman collection green against the live API (Node.js required in CI)."""

import os

import pytest

from course_lib.lab.newman import HOW_TO_INSTALL, newman_bin, node_available, run_newman
from course_lib.lab.postman import collection_from_contract, collection_from_openapi
from course_lib.lab.task_contract import CONTRACT
from tests.taskapi.conftest import chapters_from


@pytest.fixture
def newman():
    """Newman's executable; in CI (CI=true) its absence fails loudly, elsewhere it skips with how to install it."""
    found = newman_bin()
    if found is None:
        message = ("Node.js is missing. " if not node_available() else "Newman is not installed. ") + HOW_TO_INSTALL
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.mark.parametrize("chapter", [5, 8])
def test_the_generated_collection_runs_green_in_newman(newman, api_at, chapter):
    api = api_at(chapter)
    collection = collection_from_openapi(api.get("/openapi.json").json(), api.url)
    run = run_newman(collection)
    operations = sum(len(methods) for methods in api.get("/openapi.json").json()["paths"].values())
    assert run.ok, run.output[-4000:]
    assert run.requests == operations and run.assertions == operations


def test_newman_reports_a_broken_promise(newman, api_at):
    api = api_at(5)
    collection = collection_from_openapi(api.get("/openapi.json").json(), api.url)
    health = next(item for folder in collection["item"] for item in folder["item"] if item["name"] == "Check Health")
    health["event"][0]["script"]["exec"] = ['pm.test("418", function () { pm.response.to.have.status(418); });']
    run = run_newman(collection)
    assert not run.ok and run.failed == 1


# Chapter 10 makes If-Match required on writes (428 without it): chapter 05's contract describes the API before it.
@pytest.mark.parametrize("chapter", [n for n in chapters_from(5) if n < 10])
def test_the_contract_runs_green_in_newman_on_every_later_chapter(newman, api_at, chapter):
    api = api_at(chapter)
    run = run_newman(collection_from_contract(CONTRACT, api.url))
    assert run.ok, run.output[-4000:]
    assert run.requests == len(CONTRACT)
    assert run.assertions == len(CONTRACT) + sum(len(case.must_have) for case in CONTRACT)
