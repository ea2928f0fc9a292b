import pytest

from course_lib.taskapi import app_factory, app_for, ch00_health, ch01_http, chapter_modules, latest


def test_modules_are_found_by_chapter_number():
    modules = chapter_modules()
    assert modules[0] is ch00_health and modules[1] is ch01_http
    assert list(modules) == sorted(modules)


def test_a_chapter_without_a_module_uses_the_previous_one():
    last = max(chapter_modules())
    assert app_factory(last + 5) is chapter_modules()[last].create_app


def test_every_call_builds_a_fresh_app():
    assert app_for(1) is not app_for(1)
    assert latest().title == "Task API"


def test_before_the_first_chapter_there_is_no_app():
    with pytest.raises(LookupError):
        app_factory(-1)


def test_a_clean_up_that_fails_does_not_fail_the_stop(caplog):
    """Redis down at stop: forgetting its keys fails, the server still stops (and says so in the log)."""
    from course_lib.notebook.server import serve
    from course_lib.taskapi import ch03_idempotency

    app = ch03_idempotency.create_app()

    def broken() -> None:
        raise ConnectionError("redis is down")

    app.context.at_stop(broken)
    api = serve(app, name="test-broken-clean-up")
    assert api.get("/health").status_code == 200
    api.stop()
    assert not api.running
    assert any("clean-up at stop failed: redis is down" in record.getMessage() for record in caplog.records)
