import pytest

from tests.taskapi.conftest import chapters_from


@pytest.mark.parametrize("chapter", chapters_from(0))
def test_health_answers_ok(api_at, chapter):
    response = api_at(chapter).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("chapter", chapters_from(0))
def test_unknown_path_is_404_not_500(api_at, chapter):
    assert api_at(chapter).get("/no/such/path").status_code == 404


@pytest.mark.parametrize("chapter", chapters_from(0))
def test_openapi_is_published(api_at, chapter):
    api = api_at(chapter)
    assert api.get("/openapi.json").json()["info"]["title"] == "Task API"
    assert api.get("/docs").status_code == 200
