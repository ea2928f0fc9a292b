"""The smallest BackgroundTasks app: 202 first, the e-mails after the response."""

from fastapi.testclient import TestClient

from course_lib.lab import background_tasks_app


def test_it_answers_202_and_sends_after_the_response(monkeypatch, tmp_path):
    monkeypatch.setenv("OUTBOX", str(tmp_path / "outbox.txt"))
    monkeypatch.setenv("MAIL_LATENCY", "0")
    with TestClient(background_tasks_app.create_app()) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.post("/reminders").status_code == 202  # TestClient runs the background work before returning
    assert len((tmp_path / "outbox.txt").read_text().splitlines()) == background_tasks_app.TASKS
