"""The suite can fail: each deliberately broken app (broken_apps.py) fails the check about its mistake, with a
message naming it. Runs in the quick pass (make test), on the same counts as the checks themselves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.acceptance import broken_apps, checks
from tests.acceptance.harness import Live, reference_settings, start


@dataclass(frozen=True)
class Mutant:
    factory: Callable[..., Any]
    check: Callable[[Live], str]
    says: str  # a piece of the failure message: the check failed for the reason planted, not by accident


MUTANTS = {
    "ownership check removed": Mutant(broken_apps.no_ownership, checks.check_02_object_level, "another user"),
    "500 with a traceback": Mutant(broken_apps.traceback_500, checks.check_08_errors, "→ 500"),
    "password hash in a response": Mutant(broken_apps.hash_leaked, checks.check_06_mass_assignment, "password hash"),
    "alg=none accepted": Mutant(broken_apps.alg_none_accepted, checks.check_04_jwt_matrix, "token 'alg=none'"),
    "If-Match ignored": Mutant(broken_apps.if_match_ignored, checks.check_09_conditional, "49 × 412"),
    "Idempotency-Key ignored": Mutant(broken_apps.idempotency_key_ignored, checks.check_10_idempotency, "rows created"),
    "limit clamped, not refused": Mutant(broken_apps.limit_clamped, checks.check_07_bounds, "limit="),
    "crash on a non-ASCII header": Mutant(broken_apps.crashes_on_non_ascii, checks.check_21_hostile_strings, "→ 500"),
    "login tells unknown users": Mutant(
        broken_apps.login_tells_unknown_users, checks.check_05_passwords, "unknown user → 404"
    ),
}


@pytest.fixture(scope="module")
def settings():
    return reference_settings()


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
