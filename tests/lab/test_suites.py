"""The in-process runner: what it collects, how it resolves fixtures, and what it reports."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.lab import suites
from course_lib.lab.suites import (
    UnknownFixture,
    api_fixtures,
    collect,
    learner_line,
    run_case,
    substituted,
)
from course_lib.taskapi import latest
from course_lib.web import pagination
from course_lib.web.pagination import last_page


def test_a_function_a_class_a_list_and_a_namespace_are_collected():
    def test_one():
        pass

    class TestTwo:
        def test_a(self):
            pass

        def test_b(self):
            pass

        def helper(self):
            pass

    assert [case.name for case in collect(test_one)] == ["test_one"]
    assert [case.name for case in collect(TestTwo)] == ["TestTwo::test_a", "TestTwo::test_b"]
    assert len(collect([test_one, TestTwo])) == 3
    assert len(collect({"test_one": test_one, "TestTwo": TestTwo, "helper": print})) == 3
    assert collect(None) == [] and collect(42) == []


def test_parametrize_marks_expand_stacked_with_params_and_ids():
    @pytest.mark.parametrize("x", [1, pytest.param(2, id="two")])
    @pytest.mark.parametrize("a, b", [(1, 2), (3, 4)], ids=["low", "high"])
    def test_sum(x, a, b):
        pass

    cases = collect(test_sum)
    assert len(cases) == 4
    assert {tuple(sorted(case.params.items())) for case in cases} == {
        (("a", a), ("b", b), ("x", x)) for x in (1, 2) for a, b in ((1, 2), (3, 4))
    }
    assert any(case.name.endswith("[low-1]") or case.name.endswith("[1-low]") for case in cases)


def test_a_single_name_takes_a_tuple_as_one_value():
    @pytest.mark.parametrize("pair", [(1, 2)])
    def test_pair(pair):
        assert pair == (1, 2)

    (case,) = collect(test_pair)
    assert run_case(case, {}).passed


def test_skip_marks_are_kept_on_the_case():
    @pytest.mark.skip
    def test_later():
        raise AssertionError

    assert collect(test_later)[0].skipped


def test_fixtures_are_resolved_by_name_once_per_case_and_torn_down_after_a_failure():
    log = []

    def resource():
        log.append("set up")
        yield "value"
        log.append("torn down")

    def user(resource):
        return f"user of {resource}"

    def test_uses(resource, user):
        assert user == "user of value"
        assert resource == "nothing"

    outcome = run_case(collect(test_uses)[0], {"resource": resource, "user": user})
    assert not outcome.passed and isinstance(outcome.error, AssertionError)
    assert log == ["set up", "torn down"]
    assert "assert resource == " in outcome.where and outcome.where.startswith("line ")


def test_an_unknown_fixture_names_the_ones_there_are():
    def test_wants(database):
        pass

    outcome = run_case(collect(test_wants)[0], {"client": lambda: None})
    assert isinstance(outcome.error, UnknownFixture)
    assert "'database'" in str(outcome.error) and "client" in str(outcome.error)


def test_why_gives_the_exception_and_the_test_line():
    def test_status():
        status = 200
        assert status == 404

    outcome = run_case(collect(test_status)[0], {})
    assert outcome.why().startswith("AssertionError")
    assert "line" in outcome.why() and "status == 404" in outcome.why()
    assert run_case(collect(lambda: None)[0], {}).why() == "passed"


def test_learner_line_skips_library_frames():
    try:
        latest(object())  # raises inside course_lib: the caller's line is this test's
    except Exception as error:
        assert "latest(object())" in learner_line(error)


def test_substituted_swaps_a_name_in_the_tests_globals_and_the_module_then_restores_it():
    def test_uses_the_name():  # last_page: this module's global, imported from pagination
        assert last_page(1, 1) == "swapped"

    cases = collect(test_uses_the_name)
    with substituted(cases, "last_page", pagination, lambda total, limit: "swapped"):
        assert run_case(cases[0], {}).passed
        assert pagination.last_page(1, 1) == "swapped"
    assert pagination.last_page is last_page and globals()["last_page"] is last_page
    assert "last_page" not in vars(suites)
    assert not run_case(cases[0], {}).passed


def test_hypothesis_runs_quiet_and_repeatable_and_keeps_the_tests_own_settings(capsys):
    @settings(max_examples=7)
    @given(st.integers())
    def test_small(n):
        calls.append(n)
        assert n < 1000

    calls = []
    first = run_case(collect(test_small)[0], {})
    second = run_case(collect(test_small)[0], {})
    assert not first.passed and str(first.error) == str(second.error)
    assert capsys.readouterr().out == ""

    @settings(max_examples=7)
    @given(st.integers(max_value=0))
    def test_passes(n):
        calls.append(n)

    calls = []
    assert run_case(collect(test_passes)[0], {}).passed
    assert len(calls) <= 7


def test_a_hypothesis_method_run_by_pytest_first_runs_again_here():
    class TestProperty:
        @given(st.integers())
        def test_any(self, n):
            assert isinstance(n, int)

    TestProperty().test_any()  # another instance ran it first (as pytest does): no health check fails here
    (case,) = collect(TestProperty)
    assert run_case(case, {}).passed and run_case(case, {}).passed


def test_api_fixtures_give_each_case_a_fresh_database():
    app = latest()

    def test_empty_then_one(client, ada):
        assert client.get("/tasks", headers=ada).json() == []
        assert client.post("/tasks", json={"title": "mine"}, headers=ada).status_code == 201

    case = collect(test_empty_then_one)[0]
    assert run_case(case, api_fixtures(app)).passed
    assert run_case(case, api_fixtures(app)).passed  # the first case's task is gone


def test_ada_and_bob_are_two_users_with_keys():
    def test_two(client, ada, bob):
        assert ada != bob
        url = client.post("/tasks", json={"title": "ada's"}, headers=ada).headers["location"]
        assert client.get(url, headers=bob).status_code == 404

    assert run_case(collect(test_two)[0], api_fixtures(latest())).passed


def test_a_test_that_would_loop_forever_fails_once_over_its_request_budget(monkeypatch):
    monkeypatch.setattr(suites, "REQUEST_BUDGET", 5)

    def test_loops(client, ada):
        while True:
            client.get("/tasks", headers=ada)

    outcome = run_case(collect(test_loops)[0], api_fixtures(latest()))
    assert isinstance(outcome.error, suites.OverBudget)
