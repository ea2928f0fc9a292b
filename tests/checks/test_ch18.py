"""Each checker against its stub, its solution, valid alternative suites and plausible wrong ones.

The answers are test suites, so a wrong answer is a suite that asserts nothing, checks only the happy path, fails on
the real code (a false alarm), or catches only some of the mutants.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_lib.checks.ch18 import LAST_PAGE_MUTANTS, q1, q2
from course_lib.lab.api_mutants import MUTANTS
from course_lib.lab.suites import client_for, new_user
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi import latest
from course_lib.web import pagination
from course_lib.web.pagination import last_page

# The suites below are pytest tests too: pytest runs them on the real API with these fixtures (the checks' own).


@pytest.fixture
def client():
    with client_for(latest()) as client:
        yield client


@pytest.fixture
def ada(client):
    return new_user(client.app, "Ada")


@pytest.fixture
def bob(client):
    return new_user(client.app, "Bob")


# --- q1: tests of last_page --------------------------------------------------------------------------------------


class TestLastPage:  # the solution
    @pytest.mark.parametrize(
        "total, limit, last",
        [(0, 20, 1), (1, 20, 1), (20, 20, 1), (21, 20, 2), (40, 20, 2), (41, 20, 3), (5, 2, 3), (4, 2, 2)],
    )
    def test_examples(self, total, limit, last):
        assert last_page(total, limit) == last

    @given(total=st.integers(min_value=1, max_value=10_000), limit=st.integers(min_value=1, max_value=100))
    def test_the_last_page_holds_the_last_item(self, total, limit):
        last = last_page(total, limit)
        assert (last - 1) * limit < total <= last * limit


class PropertyOnly:
    @given(total=st.integers(min_value=0, max_value=10_000), limit=st.integers(min_value=1, max_value=100))
    def test_property(self, total, limit):
        last = last_page(total, limit)
        assert last >= 1
        if total:
            assert (last - 1) * limit < total <= last * limit
        else:
            assert last == 1


def test_edges_as_plain_functions():
    assert last_page(0, 10) == 1
    assert last_page(10, 10) == 1
    assert last_page(11, 10) == 2
    assert last_page(3, 2) == 2


def test_a_brute_force_comparison():
    for total in range(0, 30):
        for limit in range(1, 8):
            page_starts = range(0, total, limit)  # the offset of each page
            assert last_page(total, limit) == max(1, len(page_starts)), (total, limit)


def test_q1_stub_and_empty_answers_are_not_attempted():
    assert q1.evaluate(None).status == NOT_ATTEMPTED

    class Empty:
        def helper(self):
            pass

    assert q1.evaluate(Empty).status == NOT_ATTEMPTED
    assert q1.evaluate([]).status == NOT_ATTEMPTED


def test_q1_the_solution_and_other_good_suites_are_correct():
    assert q1.evaluate(TestLastPage).status == CORRECT, q1.evaluate(TestLastPage)
    assert q1.evaluate(PropertyOnly).status == CORRECT
    assert q1.evaluate(test_edges_as_plain_functions).status == CORRECT
    assert q1.evaluate([test_a_brute_force_comparison]).status == CORRECT


def test_q1_a_suite_calling_the_module_attribute_is_graded_too():
    def test_through_the_module():
        assert pagination.last_page(0, 10) == 1
        assert pagination.last_page(10, 10) == 1
        assert pagination.last_page(11, 10) == 2
        assert pagination.last_page(3, 2) == 2

    assert q1.evaluate(test_through_the_module).status == CORRECT


def test_q1_suites_that_assert_nothing_or_too_little_are_incorrect():
    def test_nothing():
        last_page(5, 2)

    def test_only_a_full_page():
        assert last_page(20, 20) == 1

    def test_only_an_empty_list():
        assert last_page(0, 20) == 1

    def test_no_exact_fit():
        assert last_page(0, 20) == 1
        assert last_page(21, 20) == 2
        assert last_page(5, 2) == 3

    class TestPropertyWithoutTheEmptyList:
        @given(total=st.integers(min_value=1, max_value=1000), limit=st.integers(min_value=1, max_value=50))
        def test_property(self, total, limit):
            last = last_page(total, limit)
            assert (last - 1) * limit < total <= last * limit

    for suite in (
        test_nothing,
        test_only_a_full_page,
        test_only_an_empty_list,
        test_no_exact_fit,
        TestPropertyWithoutTheEmptyList,
    ):
        result = q1.evaluate(suite)
        assert result.status == INCORRECT, suite
        assert "mutants survive" in result.message


def test_q1_a_test_that_fails_on_the_real_function_is_named():
    def test_wrong_expectation():
        assert last_page(0, 20) == 0

    result = q1.evaluate(test_wrong_expectation)
    assert result.status == INCORRECT
    assert "test_wrong_expectation fails on the real last_page" in result.message
    assert "assert last_page(0, 20) == 0" in str(result.got)


def test_q1_the_surviving_mutant_is_described_not_its_test():
    def test_no_empty_list():
        assert last_page(20, 20) == 1
        assert last_page(21, 20) == 2
        assert last_page(5, 2) == 3
        assert last_page(4, 2) == 2
        assert last_page(41, 20) == 3

    result = q1.evaluate(test_no_empty_list)
    assert result.status == INCORRECT
    assert "an empty list gets page 0" in result.message
    assert "no_first_page_when_empty" in str(result.got)


def test_q1_every_wrong_last_page_is_wrong_and_the_real_one_is_restored():
    real = pagination.last_page
    for mutant in LAST_PAGE_MUTANTS:
        assert any(mutant.function(t, n) != real(t, n) for t in range(0, 50) for n in range(1, 10)), mutant.name
    q1.evaluate(TestLastPage)
    assert pagination.last_page is real and last_page is real


# --- q2: tests of the task API ---------------------------------------------------------------------------------


def walk(client, url, headers):
    seen = []
    while url:
        page = client.get(url, headers=headers)
        assert page.status_code == 200
        seen += [task["id"] for task in page.json()]
        url = page.links.get("next", {}).get("url")
    return seen


class TestTaskAPI:  # the solution
    def test_another_users_task_is_not_found_nor_listed(self, client, ada, bob):
        url = client.post("/tasks", json={"title": "Ada's"}, headers=ada).headers["location"]
        assert client.get(url, headers=bob).status_code == 404
        assert client.get("/tasks", headers=bob).json() == []
        assert client.get(url, headers=ada).status_code == 200

    def test_a_write_with_an_old_etag_is_refused(self, client, ada):
        created = client.post("/tasks", json={"title": "v1"}, headers=ada)
        url, etag = created.headers["location"], created.headers["etag"]
        assert client.patch(url, json={"title": "v2"}, headers={**ada, "If-Match": etag}).status_code == 200
        assert client.patch(url, json={"title": "v3"}, headers={**ada, "If-Match": etag}).status_code == 412
        assert client.get(url, headers=ada).json()["title"] == "v2"

    @pytest.mark.parametrize("count, limit", [(5, 2), (4, 2)])
    def test_the_pages_hold_every_task_once(self, client, ada, count, limit):
        made = [client.post("/tasks", json={"title": f"task {n}"}, headers=ada).json()["id"] for n in range(count)]
        assert sorted(walk(client, f"/tasks?limit={limit}", ada)) == sorted(made)


def test_bob_cannot_read_adas_task(client, ada, bob):
    url = client.post("/tasks", json={"title": "secret"}, headers=ada).headers["location"]
    assert client.get(url, headers=bob).status_code == 404


def test_bobs_list_of_adas_tasks_is_refused_and_his_own_is_empty(client, ada, bob):
    client.post("/tasks", json={"title": "secret"}, headers=ada)
    assert client.get("/tasks", headers=bob).json() == []


def test_a_lost_update_is_refused(client, ada):
    created = client.post("/tasks", json={"title": "b"}, headers=ada)
    url, etag = created.headers["location"], created.headers["etag"]
    client.put(url, json={"title": "c"}, headers={**ada, "If-Match": etag})
    answer = client.put(url, json={"title": "d"}, headers={**ada, "If-Match": etag})
    assert answer.status_code == 412


@pytest.mark.parametrize("limit", [1, 3])
def test_walking_pages_of_seven(client, ada, limit):
    for n in range(7):
        client.post("/tasks", json={"title": f"t{n}"}, headers=ada)
    ids = walk(client, f"/tasks?limit={limit}", ada)
    assert len(ids) == len(set(ids)) == 7


ALTERNATIVE = [  # functions instead of a class, other requests for the same rules
    test_bob_cannot_read_adas_task,
    test_bobs_list_of_adas_tasks_is_refused_and_his_own_is_empty,
    test_a_lost_update_is_refused,
    test_walking_pages_of_seven,
]


def test_q2_stub_is_not_attempted_and_the_solution_and_an_alternative_are_correct():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(TestTaskAPI).status == CORRECT
    assert q2.evaluate(ALTERNATIVE).status == CORRECT


def test_q2_a_suite_that_asserts_nothing_lets_every_mutant_survive():
    def test_requests_only(client, ada, bob):
        url = client.post("/tasks", json={"title": "x"}, headers=ada).headers["location"]
        client.get(url, headers=bob)
        client.patch(url, json={"title": "y"}, headers=ada)
        client.get("/tasks?limit=1", headers=ada)

    result = q2.evaluate(test_requests_only)
    assert result.status == INCORRECT
    assert f"{len(MUTANTS)} of {len(MUTANTS)} mutants survive" in result.message


def test_q2_a_happy_path_suite_checking_statuses_is_incorrect():
    class TestHappyPath:
        def test_crud(self, client, ada):
            created = client.post("/tasks", json={"title": "draft"}, headers=ada)
            assert created.status_code == 201
            url, etag = created.headers["location"], created.headers["etag"]
            assert client.get(url, headers=ada).status_code == 200
            assert client.patch(url, json={"done": True}, headers={**ada, "If-Match": etag}).status_code == 200
            assert client.delete(url, headers={**ada, "If-Match": "*"}).status_code == 204

        def test_list(self, client, ada):
            for n in range(3):
                client.post("/tasks", json={"title": f"task {n}"}, headers=ada)
            assert len(client.get("/tasks", headers=ada).json()) == 3

    result = q2.evaluate(TestHappyPath)
    assert result.status == INCORRECT
    assert "mutants survive" in result.message


def test_q2_a_test_that_fails_on_the_real_api_is_named_with_its_line():
    def test_bob_is_forbidden(client, ada, bob):
        url = client.post("/tasks", json={"title": "x"}, headers=ada).headers["location"]
        assert client.get(url, headers=bob).status_code == 403  # the API answers 404: exists and absent look alike

    result = q2.evaluate([test_bob_is_forbidden, *ALTERNATIVE])
    assert result.status == INCORRECT
    assert "test_bob_is_forbidden fails on the real API" in result.message
    assert "status_code == 403" in str(result.got)


def test_q2_a_suite_without_a_fixture_it_needs_says_which():
    def test_wants_carol(client, carol):
        pass

    result = q2.evaluate(test_wants_carol)
    assert result.status == INCORRECT
    assert "no fixture named 'carol'" in str(result.got)


@pytest.mark.parametrize(
    "left_out, survivor",
    [
        (test_bob_cannot_read_adas_task, "task_readable_by_anyone"),
        (test_bobs_list_of_adas_tasks_is_refused_and_his_own_is_empty, "lists_show_everyones_tasks"),
        (test_walking_pages_of_seven, "page_limit_one_short"),
    ],
)
def test_q2_a_suite_that_catches_only_some_mutants_is_incorrect(left_out, survivor):
    suite = [test for test in ALTERNATIVE if test is not left_out]
    result = q2.evaluate(suite)
    assert result.status == INCORRECT
    assert survivor in str(result.got)
    assert MUTANTS[survivor].breaks in result.message


def test_q2_only_the_missing_if_match_is_not_enough():
    def test_if_match_is_required(client, ada):
        url = client.post("/tasks", json={"title": "x"}, headers=ada).headers["location"]
        assert client.patch(url, json={"title": "y"}, headers=ada).status_code == 428

    suite = [test_if_match_is_required, *[t for t in ALTERNATIVE if t is not test_a_lost_update_is_refused]]
    result = q2.evaluate(suite)
    assert result.status == INCORRECT
    assert str(result.got) == "passed on: if_match_only_required"


def test_q2_pages_that_fit_in_one_page_catch_no_page_mutant():
    def test_short_list(client, ada):
        for n in range(3):
            client.post("/tasks", json={"title": f"t{n}"}, headers=ada)
        ids = walk(client, "/tasks?limit=5", ada)
        assert len(ids) == len(set(ids)) == 3

    suite = [test_short_list, *[t for t in ALTERNATIVE if t is not test_walking_pages_of_seven]]
    result = q2.evaluate(suite)
    assert result.status == INCORRECT
    assert "page_limit_one_short" in str(result.got) and "next_page_repeats_last" in str(result.got)
