"""Checks for chapter 23 — the capstone: your app against the acceptance suite, a replica's production environment,
and the checklist's verdict from a scorecard."""

from __future__ import annotations

import json
import secrets
import typing
from itertools import product

from pydantic import ValidationError

from course_lib.lab.capstone import CARDS, NOTEBOOK_PASS, fingerprint, scorecard
from course_lib.lab.capstone import readiness as right_readiness  # the verdicts the notebook shows: the right answer
from course_lib.notebook.exercises import Exercise, Incorrect
from course_lib.services.settings import SecretKeyError, Settings


def _test_your_app(app) -> None:
    if not isinstance(app, str) or not app.count(":") == 1 or not all(app.split(":")):
        raise Incorrect(
            "name the factory as 'module:function', e.g. 'my_api:create_app'.", expected="'module:function'", got=app
        )
    if fingerprint(app) in CARDS:  # judged a moment ago in this kernel, and its module unchanged since
        card = scorecard(app)
    else:  # a dot per finished check: the run takes seconds
        print(f"judging {app}: ", end="", flush=True)
        card = scorecard(app, progress=lambda *_: print(".", end="", flush=True))
        print(f" {card.passed}/{len(card.rows)}")
    if card.error:
        raise Incorrect(
            "the suite could not run against this factory.", request=f"pytest -k '{NOTEBOOK_PASS}'", got=card.error
        )
    missing = card.missing
    if missing:
        failed = [row for row in missing if row.outcome == "failed"]
        first = (failed or missing)[0]
        raise Incorrect(
            f"{card.passed}/{len(card.rows)} checks passed. Not passed: "
            + "; ".join(f"{row.check} ({row.outcome}: {row.why})" for row in missing)
            + ". A skipped check judges a feature the app does not have (jobs, CORS): the finished API has them.",
            request=f"check {first.check}",
            expected="pass",
            got=f"{first.outcome}: {first.why}",
        )


q1 = Exercise(
    "ch23.q1",
    "Your app, graded",
    _test_your_app,
    hint="The scorecard above names each check your app missed and the request that failed: start with FAILED "
    "rows (a wrong answer), then SKIPPED ones (a feature missing: chapter 17's jobs, chapter 20's CORS).",
)


# ---------------------------------------------------------------------------------------------------------------- #
FALSE, TRUE = ("false", "0", "no", "off"), ("true", "1", "yes", "on")
CASES = [  # (secret key, database URL, redis URL) a platform hands the replicas
    (
        secrets.token_urlsafe(32),
        "postgresql+psycopg://tasks:pw@db.internal:5432/tasks",
        "redis://cache.internal:6379/0",
    ),
    (secrets.token_urlsafe(48), "postgresql+psycopg://api@10.0.0.7/prod", "rediss://:pw@redis.internal:6380/1"),
]


def _parse(env: dict[str, str]) -> Settings:
    """The settings a replica started with `env` would read (list fields come as JSON, as in an environment)."""
    values: dict[str, typing.Any] = {}
    for name, value in env.items():
        field = Settings.model_fields[name.lower()]
        values[name.lower()] = json.loads(value) if typing.get_origin(field.annotation) is list else value
    return Settings(**values)


def _test_deploy_env(deploy_env) -> None:
    for key, database, redis in CASES:
        call = f"deploy_env(secret_key=<{len(key)} random characters>, database_url={database!r}, redis_url={redis!r})"
        env = deploy_env(key, database, redis)
        if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
            raise Incorrect(
                "return a dict of environment variables: names and values are strings.", request=call, got=env
            )
        unknown = [name for name in env if name.lower() not in Settings.model_fields or name != name.upper()]
        if unknown:
            raise Incorrect(
                f"{unknown[0]} is not one of the app's settings: the settings ignore unknown names "
                "silently, so a typo deploys the default.",
                request=call,
                expected=f"one of {sorted(n.upper() for n in Settings.model_fields)}",
                got=unknown[0],
            )
        try:
            settings = _parse(env)
        except (ValidationError, SecretKeyError, ValueError) as error:
            raise Incorrect(
                "the app would refuse to start with this environment.", request=call, got=str(error).splitlines()[0]
            ) from None

        def value(name: str, settings: Settings = settings, env: dict = env) -> typing.Any:
            return getattr(settings, name.lower()) if name in env else Settings.model_fields[name.lower()].default

        rules = [
            (
                "SECRET_KEY",
                value("SECRET_KEY") == key,
                "the key the platform's secret store hands you (the parameter)",
                "every replica must sign and check tokens with the same key, and no key is written in code",
            ),
            (
                "DATABASE_URL",
                value("DATABASE_URL") == database,
                database,
                "the replicas share one database: the truth lives there, not in a SQLite file per machine",
            ),
            (
                "ISOLATE_DATABASE",
                value("ISOLATE_DATABASE") is False,
                "false",
                "by default each app makes a database of its own (a notebook's habit): replicas must share one",
            ),
            (
                "REDIS_URL",
                value("REDIS_URL") == redis,
                redis,
                "the cache, the rate-limit counters and the job queue are shared too: fakeredis lives in one process",
            ),
            (
                "WORKER",
                value("WORKER") == "external",
                "external",
                "jobs are run by `make worker` processes of their own, not by each replica",
            ),
            (
                "DEVELOPMENT",
                value("DEVELOPMENT") is False,
                "false (or absent)",
                "DEVELOPMENT invents a random key per process when SECRET_KEY is missing: never in production",
            ),
            (
                "PASSWORD_HASH_COST",
                value("PASSWORD_HASH_COST") == "recommended",
                "recommended (or absent)",
                "'minimal' is for test suites: in production it makes stolen hashes cheap to crack",
            ),
            (
                "SESSION_COOKIE_SECURE",
                value("SESSION_COOKIE_SECURE") is True,
                "true (or absent)",
                "the session cookie must never travel over plain HTTP",
            ),
            (
                "TRACE_SAMPLE_RATE",
                value("TRACE_SAMPLE_RATE") == 0.1,
                "0.1",
                "trace one request in ten, as chapter 21 measured: every request traced costs the most",
            ),
            (
                "TRACE_BATCH",
                value("TRACE_BATCH") is True,
                "true",
                "spans exported in batches from a background thread, not on the request's time",
            ),
            (
                "LOG_TO_STDOUT",
                value("LOG_TO_STDOUT") is True,
                "true",
                "the platform collects stdout: a log kept only in the process's memory dies with it",
            ),
        ]
        for name, right, expected, why in rules:
            if not right:
                raise Incorrect(
                    f"{name}: {why}.",
                    request=call,
                    expected=f"{name}={expected}",
                    got=f"{name}={env[name]}" if name in env else f"{name} absent",
                )


q2 = Exercise(
    "ch23.q2",
    "A replica's production environment",
    _test_deploy_env,
    hint="Start from {'SECRET_KEY': secret_key, 'DATABASE_URL': database_url, 'REDIS_URL': redis_url} and add "
    "ISOLATE_DATABASE, WORKER, TRACE_SAMPLE_RATE, TRACE_BATCH and LOG_TO_STDOUT as strings ('false', 'true', '0.1').",
)


# ---------------------------------------------------------------------------------------------------------------- #
CHECKLISTS = [
    {"contract": (1, 7, 8), "invariants": (9, 10, 16), "authz": (2, 3, 4), "truth": (11, 12), "scale": (13,)},
    {"ownership": (2,), "everything": (2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 16), "observe": (), "bounds": (7, 13)},
]
OUTCOME_CASES = [
    {},
    {
        7: ["passed"],
        8: ["passed", "passed"],
        9: ["passed"],
        10: ["passed"],
        2: ["passed", "passed"],
        3: ["passed"],
        4: ["passed"],
    },
    {
        7: ["passed"],
        8: ["passed", "failed"],
        9: ["skipped"],
        10: ["passed"],
        2: ["passed", "skipped"],
        3: ["passed"],
        4: ["failed"],
        12: ["skipped"],
    },
    {1: ["failed"], 8: ["skipped"], 16: ["skipped"], 9: ["failed"], 2: ["skipped", "failed"], 13: ["passed"]},
    {
        1: ["passed"],
        7: ["skipped"],
        8: ["passed"],
        11: ["passed"],
        12: ["passed"],
        4: ["skipped", "skipped"],
        13: ["skipped"],
        9: ["passed"],
        10: ["passed"],
        16: ["passed"],
    },
    {2: ["passed", "skipped"], 3: ["passed"], 4: ["passed"], 11: ["failed"], 12: ["passed"], 16: ["passed"]},
    {7: ["passed"], 8: ["failed", "passed"], 2: ["skipped", "passed"], 3: ["passed"], 4: ["passed"], 13: ["passed"]},
]


def _test_readiness(readiness) -> None:
    for checklist, outcomes in product(CHECKLISTS, OUTCOME_CASES):
        call = f"readiness({outcomes}, {checklist})"
        got = readiness({number: list(seen) for number, seen in outcomes.items()}, dict(checklist))
        expected = right_readiness(outcomes, checklist)
        if not isinstance(got, dict) or set(got) != set(checklist):
            raise Incorrect("answer one verdict per checklist item.", request=call, expected=expected, got=got)
        for item, verdict in expected.items():
            if got[item] != verdict:
                ran = {n: outcomes[n] for n in checklist[item] if n in outcomes}
                raise Incorrect(
                    f"item {item!r} (checks {checklist[item]}, outcomes {ran}): 'not run' when none of its checks "
                    "ran, else 'broken' if one failed, else 'missing' if one was skipped, else 'ready'.",
                    request=call,
                    expected={item: verdict},
                    got={item: got[item]},
                )


q3 = Exercise(
    "ch23.q3",
    "The checklist's verdict",
    _test_readiness,
    hint="For each item, collect the outcomes of its checks: [o for n in numbers for o in outcomes.get(n, [])]; then "
    "'not run' if empty, 'broken' if 'failed' in them, 'missing' if 'skipped' in them, else 'ready'.",
)
