"""The suite can fail: each deliberately broken app (broken_apps.py) fails the check about its mistake, with a
message naming it. Runs in the quick pass (make test), on the same counts as the checks themselves."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance import broken_apps, broken_processes, checks, checks_ops, checks_processes
from tests.acceptance.harness import CROWD_LIMITS, Live, load, reference_settings, start


@dataclass(frozen=True)
class Mutant:
    factory: Callable[..., Any]
    check: Callable[[Live], str]
    says: str  # a piece of the failure message: the check failed for the reason planted, not by accident


def schemathesis_in_a_temporary_folder(live: Live) -> str:
    """Check 1 at the quick counts (the full ones took 13 minutes to fail it), its report in a folder of its own."""
    with tempfile.TemporaryDirectory() as folder:
        return checks.check_01_schemathesis(live, Path(folder), quick=True)


MUTANTS = {
    "a field off its documented schema": Mutant(
        broken_apps.done_as_text, schemathesis_in_a_temporary_folder, "ST108 Response violates schema"
    ),
    "ownership check removed": Mutant(broken_apps.no_ownership, checks.check_02_object_level, "another user"),
    "500 with a traceback": Mutant(broken_apps.traceback_500, checks.check_08_errors, "→ 500"),
    "password hash in a response": Mutant(broken_apps.hash_leaked, checks.check_06_mass_assignment, "password hash"),
    "alg=none accepted": Mutant(broken_apps.alg_none_accepted, checks.check_04_jwt_matrix, "token 'alg=none'"),
    "If-Match ignored": Mutant(broken_apps.if_match_ignored, checks.check_09_conditional, "49 × 412"),
    "Idempotency-Key ignored": Mutant(broken_apps.idempotency_key_ignored, checks.check_10_idempotency, "rows created"),
    "limit clamped, not refused": Mutant(broken_apps.limit_clamped, checks.check_07_bounds, "limit="),
    "crash on a non-ASCII header": Mutant(broken_apps.crashes_on_non_ascii, checks.check_21_hostile_strings, "→ 500"),
    "CORS echoes any Origin with credentials": Mutant(
        broken_apps.cors_reflects_any_origin, checks.check_14_cors, "Access-Control-Allow-Origin: https://evil.example"
    ),
    "429 without RateLimit fields": Mutant(
        broken_apps.rate_limit_without_fields, checks.check_13_rate_limit, "RateLimit"
    ),
    "job readable by anyone": Mutant(broken_apps.jobs_readable_by_anyone, checks.check_02_jobs, "another user"),
    "login tells unknown users": Mutant(
        broken_apps.login_tells_unknown_users, checks.check_05_passwords, "unknown user → 404"
    ),
}


@pytest.fixture(scope="module")
def settings():
    return reference_settings(**CROWD_LIMITS)  # as the suite's app: a mutant fails for the mistake planted, not a 429


@pytest.mark.parametrize("name", MUTANTS)
def test_the_matching_check_fails_on_a_broken_app(name, settings):
    mutant = MUTANTS[name]
    live = start(mutant.factory, name="acceptance-mutant", settings=settings)
    try:
        with pytest.raises(AssertionError) as failed:
            mutant.check(live)
    except pytest.skip.Exception as skipped:
        pytest.fail(f"{mutant.check.__name__} skipped on the mutant '{name}' instead of failing: {skipped}")
    finally:
        live.stop()
    assert mutant.says in str(failed.value), f"failed for another reason: {failed.value}"


# The features of chapters 17 and 20 are not in the reference yet: these apps add them the right way, so checks 13 and
# 14 are seen to run and pass (their mutants above fail), not only to skip as "not applicable".
WELL_MADE = {
    "jobs only their owner reads": (broken_apps.jobs_owner_checked, checks.check_02_jobs),
    "rate limit with RateLimit fields": (broken_apps.rate_limited, checks.check_13_rate_limit),
    "CORS with an allow-list": (broken_apps.cors_allow_list, checks.check_14_cors),
}


@pytest.mark.parametrize("name", WELL_MADE)
def test_a_check_for_a_coming_feature_runs_and_passes_where_the_feature_is_right(name, settings):
    factory, check = WELL_MADE[name]
    live = start(factory, name="acceptance-well-made", settings=settings)
    try:
        check(live)
    except pytest.skip.Exception as skipped:
        pytest.fail(f"{check.__name__} found no feature in '{name}': {skipped}")
    finally:
        live.stop()


# Checks 17, 19 and 20 start the app again in a process of their own (uvicorn --factory), so a mutant is named by its
# factory's module:function (broken_ops.py), as ACCEPTANCE_APP names the app under test.
OPS = "tests.acceptance.broken_ops"
OPS_MUTANTS = {
    "SIGTERM exits at once": (f"{OPS}:drops_in_flight_on_sigterm", checks_ops.check_17_load_and_sigterm, "dropped"),
    "a default SECRET_KEY": (f"{OPS}:default_secret", checks_ops.check_19_signing_key, "with no SECRET_KEY"),
    "a repository key accepted": (f"{OPS}:any_secret", checks_ops.check_19_signing_key, "(in the repository)"),
    "X-Real-IP trusted from anyone": (f"{OPS}:trusts_x_real_ip", checks_ops.check_20_proxy_trust, "chose the"),
}


@pytest.mark.parametrize("name", OPS_MUTANTS)
def test_the_matching_process_check_fails_on_a_broken_app(name, settings):
    spec, check, says = OPS_MUTANTS[name]
    live = start(load(spec), name="acceptance-mutant", settings=settings)
    try:
        with pytest.raises(AssertionError) as failed:
            check(live, spec)
    except pytest.skip.Exception as skipped:
        pytest.fail(f"{check.__name__} skipped on the mutant '{name}' instead of failing: {skipped}")
    finally:
        live.stop()
    assert says in str(failed.value), f"failed for another reason: {failed.value}"


# Checks 15 and 22 build the app themselves, on services of their own they kill: each is given the mutant's factory.
# The PostgreSQL one runs where DATABASE_URL is PostgreSQL (its check is not applicable on the embedded SQLite).
PROCESS_MUTANTS = {
    "job effects not idempotent": (
        broken_processes.job_effect_repeated,
        checks_processes.check_15_jobs,
        "effects applied more than once",
    ),
    "job timeout ignored": (
        broken_processes.job_timeout_ignored,
        checks_processes.check_15_jobs,
        "its timeout was not enforced",
    ),
    "a write commits while Redis is down": (
        broken_processes.cache_write_without_invalidation,
        checks_processes.check_22_redis_restart,
        "stale reads",
    ),
    "pool without pre-ping": (
        broken_processes.pool_without_pre_ping,
        checks_processes.check_22_postgres_restart,
        "the restart had cut",
    ),
}


@pytest.mark.parametrize("name", PROCESS_MUTANTS)
def test_a_process_check_fails_on_a_broken_app(name):
    factory, check, says = PROCESS_MUTANTS[name]
    with pytest.raises(AssertionError) as failed:
        check(factory)
    assert says in str(failed.value), f"failed for another reason: {failed.value}"
