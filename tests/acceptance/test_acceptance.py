"""Checks 2–14, 16 (through HTTP), 18, 21 and the forged-key half of 19 (in check 4) of issue 17, against the app
under test (one server for the module); 17, 19 and 20 (checks_ops.py) start the factory again in a uvicorn process of
their own. Each test adds its figure to the run's summary. Check 1 (schemathesis) is
test_schemathesis.py; the proof that the checks can fail, test_mutants.py."""

from __future__ import annotations

from tests.acceptance import checks, checks_ops, checks_processes
from tests.acceptance.harness import figure, load


def test_02_object_level_authorization_on_tasks(live):
    figure(2, checks.check_02_object_level(live))


def test_02_object_level_authorization_on_jobs(live):
    figure(2, checks.check_02_jobs(live))


def test_03_function_level_authorization(live):
    figure(3, checks.check_03_function_level(live))


def test_04_jwt_matrix(live):
    figure(4, checks.check_04_jwt_matrix(live))


def test_05_passwords(live):
    figure(5, checks.check_05_passwords(live))


def test_06_mass_assignment(live):
    figure(6, checks.check_06_mass_assignment(live))


def test_07_resource_bounds(live):
    figure(7, checks.check_07_bounds(live))


def test_08_errors_are_problems(live):
    figure(8, checks.check_08_errors(live))


def test_09_conditional_requests(live):
    figure(9, checks.check_09_conditional(live))


def test_10_idempotency_key(live):
    figure(10, checks.check_10_idempotency(live))


def test_11_cache(live):
    figure(11, checks.check_11_cache(live))


def test_12_cursor_walk_under_inserts(live):
    figure(12, checks.check_12_cursor_walk(live))


def test_14_cors(live):
    figure(14, checks.check_14_cors(live))


def test_16_concurrent_writers(live):
    figure(16, checks.check_16_concurrent_writers(live))


def test_18_property_exposure(live):
    figure(18, checks.check_18_property_exposure(live))


def test_21_hostile_strings(live):
    figure(21, checks.check_21_hostile_strings(live))


def test_17_load_and_sigterm(live, factory_spec):
    figure(17, checks_ops.check_17_load_and_sigterm(live, factory_spec))


def test_19_signing_key(live, factory_spec):
    figure(19, checks_ops.check_19_signing_key(live, factory_spec))


def test_20_proxy_trust(live, factory_spec):
    figure(20, checks_ops.check_20_proxy_trust(live, factory_spec))


def test_13_rate_limit(limited_live):
    figure(13, checks.check_13_rate_limit(limited_live))


def test_08_no_error_of_the_whole_run_broke_the_format(live):
    """Last in the module (pytest runs a file in order): every response of the checks above, seen at the app's
    boundary."""
    figure(8, "every response of test_acceptance.py: " + checks.whole_run(live))


# Checks 15 and 22 build the app themselves, on a Redis, workers and a PostgreSQL of their own that they may kill.
def test_15_jobs_when_workers_die(factory_spec):
    figure(15, checks_processes.check_15_jobs(load(factory_spec)))


def test_22_redis_stopped_and_started_again(factory_spec):
    figure(22, checks_processes.check_22_redis_restart(load(factory_spec)))


def test_22_postgres_restarted(factory_spec):
    figure(22, checks_processes.check_22_postgres_restart(load(factory_spec)))
