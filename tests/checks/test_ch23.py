"""Each checker against its stub, its solution, valid alternatives and known-wrong answers."""

from course_lib.checks.ch23 import q1, q2, q3
from course_lib.lab.capstone import readiness
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def test_q1_full_marks_only():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate("course_lib.taskapi:latest").status == CORRECT
    for wrong in (
        "course_lib.taskapi",
        "course_lib.taskapi:latest:x",
        ":latest",
        42,
        "course_lib.taskapi.ch16_redis_cache:create_app",
        "tests.acceptance.broken_apps:no_ownership",
        "course_lib.taskapi:no_such_factory",
    ):
        result = q1.evaluate(wrong)
        assert result.status == INCORRECT, wrong
    starter = q1.evaluate("course_lib.taskapi.ch16_redis_cache:create_app")
    assert "14_cors" in starter.message and "skipped" in starter.message


def deploy_env(secret_key, database_url, redis_url):
    return {
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "ISOLATE_DATABASE": "false",
        "REDIS_URL": redis_url,
        "WORKER": "external",
        "TRACE_SAMPLE_RATE": "0.1",
        "TRACE_BATCH": "true",
        "LOG_TO_STDOUT": "true",
    }


def test_q2_solution_alternatives_and_wrong_answers():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(deploy_env).status == CORRECT

    def spelled(**changes):
        return lambda *args: {**deploy_env(*args), **changes}

    def without(name):
        return lambda *args: {k: v for k, v in deploy_env(*args).items() if k != name}

    for right in (
        spelled(ISOLATE_DATABASE="0", TRACE_BATCH="1"),
        spelled(DEVELOPMENT="false"),
        spelled(PASSWORD_HASH_COST="recommended", SESSION_COOKIE_SECURE="true"),
        spelled(ALLOWED_ORIGINS='["https://app.example.org"]'),
    ):
        assert q2.evaluate(right).status == CORRECT
    wrong = [
        spelled(SECRET_KEY="x" * 40),
        spelled(SECRET_KEY="short"),
        without("SECRET_KEY"),
        spelled(DATABASE_URL="sqlite:///tasks.db"),
        without("DATABASE_URL"),
        without("ISOLATE_DATABASE"),
        spelled(ISOLATE_DATABASE="true"),
        without("REDIS_URL"),
        spelled(REDIS_URL="redis://localhost:6379/0"),
        spelled(WORKER="thread"),
        without("WORKER"),
        spelled(DEVELOPMENT="true"),
        spelled(PASSWORD_HASH_COST="minimal"),
        spelled(SESSION_COOKIE_SECURE="false"),
        spelled(TRACE_SAMPLE_RATE="1"),
        spelled(TRACE_SAMPLE_RATE="0"),
        without("TRACE_SAMPLE_RATE"),
        without("TRACE_BATCH"),
        spelled(TRACE_BATCH="false"),
        without("LOG_TO_STDOUT"),
        spelled(LOG_TO_STDOUT="no"),
        spelled(TRACE_SAMPLE_RATE="ten percent"),
        spelled(LOG_TO_STDUOT="true"),
        spelled(secret_key="lower case"),
        spelled(WORKER=None),
        lambda *args: list(deploy_env(*args).items()),
    ]
    for answer in wrong:
        assert q2.evaluate(answer).status == INCORRECT, answer(*["k" * 40, "postgresql://x/y", "redis://r"])


def test_q3_solution_and_wrong_answers():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(readiness).status == CORRECT

    def first_only(outcomes, checklist):
        return {
            item: (
                "not run"
                if numbers[0] not in outcomes
                else readiness({numbers[0]: outcomes[numbers[0]]}, {item: numbers})[item]
            )
            for item, numbers in checklist.items()
        }

    def order_swapped(outcomes, checklist):
        verdicts = readiness(outcomes, checklist)
        for item, numbers in checklist.items():
            seen = [o for n in numbers for o in outcomes.get(n, [])]
            if "skipped" in seen and "failed" in seen:
                verdicts[item] = "missing"
        return verdicts

    def last_test_only(outcomes, checklist):
        return readiness({n: seen[-1:] for n, seen in outcomes.items()}, checklist)

    def skip_is_pass(outcomes, checklist):
        return readiness({n: [o for o in seen if o != "skipped"] for n, seen in outcomes.items()}, checklist)

    for wrong in (
        first_only,
        order_swapped,
        last_test_only,
        skip_is_pass,
        lambda outcomes, checklist: {item: "ready" for item in checklist},
        lambda outcomes, checklist: readiness(outcomes, checklist) | {"extra": "ready"},
    ):
        assert q3.evaluate(wrong).status == INCORRECT, wrong
