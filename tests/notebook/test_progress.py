from course_lib.checks import progress_rows, show_progress
from course_lib.notebook import progress


def test_best_result_is_kept(progress_file):
    progress.record("ch00.q1", "incorrect")
    progress.record("ch00.q1", "correct")
    progress.record("ch00.q1", "incorrect")
    assert progress.load() == {"ch00.q1": "correct"}
    assert progress.progress_file() == progress_file


def test_default_record_lives_outside_the_repository(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert progress.progress_file() == tmp_path / "backend-course" / "progress.json"


def test_an_unwritable_record_does_not_raise(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.json"))
    assert progress.record("ch00.q1", "correct") is False
    assert progress.load() == {}


def test_progress_table_covers_every_chapter(capsys):
    progress.record("ch01.q2", "correct")
    progress.record("ch01.q3", "incorrect")
    rows = {row["chapter"]: row for row in progress_rows()}
    assert {"ch00", "ch01"} <= set(rows)
    assert rows["ch01"]["correct"] == 1 and rows["ch01"]["tried"] == 2
    show_progress()
    assert "exercises solved" in capsys.readouterr().out


def test_reset_forgets():
    progress.record("ch00.q1", "correct")
    progress.reset()
    assert progress.load() == {}
