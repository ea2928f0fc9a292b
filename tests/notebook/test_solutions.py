from course_lib.notebook.solutions import chapter_solutions, solution_for


def test_solution_is_the_solution_cell_before_the_check():
    assert solution_for("ch00.q2") == 'health_response = api.get("/health")'


def test_stub_lines_never_leak_into_a_solution():
    for code in chapter_solutions("ch01").values():
        assert "YOUR CODE HERE" not in code and "None," not in code


def test_unknown_chapter_or_exercise():
    assert chapter_solutions("ch99") == {}
    assert solution_for("ch00.q9") is None
