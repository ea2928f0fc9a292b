"""Timing helpers: medians, cases in turns, the hierarchy's table."""

from course_lib.lab.timing import in_turns, median_seconds, readable, with_factors


def test_median_seconds_times_each_run_after_a_warm_up():
    calls = []
    assert median_seconds(lambda: calls.append(1), runs=5) >= 0
    assert len(calls) == 6


def test_in_turns_interleaves_the_cases_and_takes_each_median():
    order = []
    values = {"a": iter([3.0, 1.0, 2.0]), "b": iter([10.0, 30.0, 20.0])}

    def case(name):
        def run():
            order.append(name)
            return next(values[name])

        return run

    assert in_turns({"a": case("a"), "b": case("b")}, rounds=3) == {"a": 2.0, "b": 20.0}
    assert order == ["a", "b"] * 3


def test_factors_are_against_the_step_before_within_the_chain():
    rows = with_factors({"one": 1e-7, "two": 1e-4, "three": 2e-3, "aside": 1.5}, chain=3)
    assert [row["× the step before"] for row in rows] == ["", "×1,000", "×20", ""]
    assert [row["median"] for row in rows] == ["0.1 µs", "100.0 µs", "2.0 ms", "1.50 s"]
    assert readable(0.0123) == "12.3 ms"
