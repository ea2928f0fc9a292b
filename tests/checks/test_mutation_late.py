"""Mutation tests of the chapter 04–08 and 10–23 checkers: every behaviour-changing mutant of a solution fails.

Each exercise's solution cell is mutated (tests/checks/mutants.py) and run in a namespace prepared as the notebook
prepares it (SETUP: the imports of earlier cells it needs). A surviving mutant is a wrong answer the check calls
Correct — unless it is listed in EQUIVALENT with the reason it is not wrong. Run with -n auto to spread the exercises
over cores.
"""

import os

import pytest

from tests.checks.mutants import (
    assert_every_behaviour_changing_mutant_is_incorrect,
    assert_solution_correct_outside_utc,
)

MODELS_07 = "from datetime import UTC, datetime\nfrom pydantic import BaseModel, ConfigDict\n"
MODELS_08 = ("from datetime import datetime\nfrom typing import Literal\nfrom uuid import UUID\n"
             "from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator\n"
             "from course_lib.web.problems import problem\n")
SETUP = {  # what the notebook has run before each solution cell, beyond the cell's own imports
    "ch04.q1": "",
    "ch04.q2": "",
    "ch04.q3": "",
    "ch05.q1": "from course_lib.lab.contract import Case\n",
    "ch05.q2": "",
    "ch05.q3": "",
    "ch06.q1": "",
    "ch06.q2": "",
    "ch06.q3": "from course_lib.taskapi.sql_tables import TaskRow\n",
    "ch07.q1": MODELS_07,
    "ch07.q2": MODELS_07,
    "ch07.q3": MODELS_07,
    "ch08.q1": MODELS_08,
    "ch08.q2": MODELS_08,
    "ch08.q3": MODELS_08,
    "ch10.q1": "",
    "ch10.q2": "import httpx\n",
    "ch11.q1": "",
    "ch11.q2": "from course_lib.checks.ch11 import STATE_ITEMS\n",
    "ch11.q3": "",
    "ch12.q1": "import httpx\n",
    "ch12.q2": "from sqlalchemy.orm import Session\n",
    "ch12.q3": "from course_lib.lab.cpu_work import count_primes\n",
    "ch13.q1": "from sqlalchemy.orm import Session\n",
    "ch13.q2": "from sqlalchemy import select\nfrom sqlalchemy.orm import Session, selectinload\n"
               "from course_lib.taskapi.orm_models import UserRow\n",
    "ch13.q3": "",
    "ch14.q1": "from datetime import datetime\nfrom course_lib.taskapi.sql_tables import TaskRow\n",
    "ch14.q2": "",
    "ch14.q3": "import base64\nimport json\n",
    "ch15.q1": "from course_lib.checks.ch15 import AUDIENCE, ISSUER\n",
    "ch15.q2": "",
    "ch16.q1": "",
    "ch16.q2": "",
    "ch16.q3": "",
    "ch16.q4": "",
    "ch17.q1": "",
    "ch17.q2": "",
    "ch18.q1": "import pytest\nfrom hypothesis import given\nfrom hypothesis import strategies as st\n"
               "from course_lib.web.pagination import last_page\n",
    "ch18.q2": "import pytest\n",
    "ch19.q1": "",
    "ch19.q2": "",
    "ch19.q3": "",
    "ch20.q1": "",
    "ch20.q2": "",
    "ch20.q3": "",
    "ch21.q1": "",
    "ch21.q2": "",
    "ch21.q3": "",
    "ch22.q1": "",
    "ch22.q2": "",
    "ch23.q1": "",
    "ch23.q2": "",
    "ch23.q3": "",
}

FREE_TEXT = "the text of an error's detail is free; the check asserts the status"
LABEL = "a case's name is a label for the table; the check runs the request and compares the status"
WORKFLOW_NAME = ("a workflow's name is a label (without one GitHub shows its path, and github.workflow is the path: "
                 "still one group per workflow)")
JOB_TIMEOUT = "a job timeout is good practice the exercise does not ask for"
GREET_SCOPE = "exercise 2 asks for the step's fix; the token's scope is exercise 1's (the given workflow's is kept)"
STEP_NAME = "a step's name is a label in the log (without one, GitHub shows its command)"
EQUIVALENT = {  # mutant description → why it is a right answer too
    "ch04.q2": {
        "constant: `'note '` → `'note'` in `raise HTTPException(404, f\"note {note_id} not found\")`": FREE_TEXT,
        "constant: `' not found'` → `' not foun'` in `raise HTTPException(404, f\"note {note_id} not found\")`":
            FREE_TEXT,
        "parameter → literal: `note_id` → `3` in `raise HTTPException(404, f\"note {note_id} not found\")`":
            FREE_TEXT,
    },
    "ch05.q1": {
        "constant: `'delete without a key'` → `'delete without a ke'` in "
        "`Case(\"delete without a key\", \"DELETE\", \"/tasks/{task}\", 401),`": LABEL,
        "constant: `\"delete someone else's task\"` → `\"delete someone else's tas\"` in "
        "`Case(\"delete someone else's task\", \"DELETE\", \"/tasks/{task}\", 403, ke…`": LABEL,
        "constant: `'delete own task'` → `'delete own tas'` in "
        "`Case(\"delete own task\", \"DELETE\", \"/tasks/{task}\", 204, key=\"ada_key\"…`": LABEL,
        "constant: `'delete it again'` → `'delete it agai'` in "
        "`Case(\"delete it again\", \"DELETE\", \"/tasks/{task}\", 404, key=\"ada_key\"…`": LABEL,
    },
    "ch05.q2": {
        "constant: `'send a valid X-API-Key'` → `'send a valid X-API-Ke'` in "
        "`raise HTTPException(401, \"send a valid X-API-Key\", headers={\"WWW-Auth…`": FREE_TEXT,
        "constant: `'ApiKey'` → `'ApiKe'` in "
        "`raise HTTPException(401, \"send a valid X-API-Key\", headers={\"WWW-Auth…`":
            "any auth-scheme token is a valid challenge; the exercise names 'ApiKey' as an example (RFC 9110 §11.6.1)",
    },
    "ch06.q2": {
        "statement removed: `response.raise_for_status()` → `pass`":
            "what to do with an error page is not asked: every page of the check's walks answers 200",
    },
    "ch08.q1": {
        "constant: `'EventCreate'` → `'EventCreat'` in `def ends_after_start(self) -> \"EventCreate\":`":
            "a return annotation in quotes is never evaluated",
        "constant: `1` → `0` in `title: str = Field(min_length=1, max_length=100)`":
            "the custom validator refuses an empty title (nothing left after strip), so min_length=1 is a second guard",
        "keyword removed: `min_length=1` from `Field(min_length=1, max_length=100)`":
            "the custom validator refuses an empty title (nothing left after strip), so min_length=1 is a second guard",
        "constant: `'title must contain more than whitespace'` → `'title must contain more than whitespac'` in "
        "`raise ValueError(\"title must contain more than whitespace\")`": FREE_TEXT,
        "constant: `'ends_at must be after starts_at'` → `'ends_at must be after starts_a'` in "
        "`raise ValueError(\"ends_at must be after starts_at\")`": FREE_TEXT,
    },
    "ch08.q2": {
        "constant: `' is out of stock'` → `' is out of stoc'` in "
        "`return problem(409, f\"{exc.sku} is out of stock\", sku=exc.sku)`":
            "detail is free text for a human; the check asks only that it names the sku",
    },
    "ch13.q3": {
        "constant: `'tasks'` → `'task'` in "
        "`op.drop_index(\"ix_tasks_priority_id\", table_name=\"tasks\")  # SQLite c…`":
            "DROP INDEX names only the index on SQLite and PostgreSQL (index names are per schema); Alembic uses "
            "table_name there only for the schema, and the check runs on those two databases",
        "keyword removed: `table_name='tasks'` from `op.drop_index('ix_tasks_priority_id', table_name='tasks')`":
            "DROP INDEX names only the index on SQLite and PostgreSQL (index names are per schema); Alembic uses "
            "table_name there only for the schema, and the check runs on those two databases",
    },
    "ch12.q2": {
        "commit added: `session.commit()` at `return dict(session.execute(statement).all())`":
            "the function only reads: a COMMIT after a SELECT writes nothing and the check counts SELECTs",
    },
    "ch15.q1": {
        "constant: `5` → `6` in `return jwt.decode(token, key, algorithms=[\"HS256\"], audience=AUDIENCE…`":
            "leeway is a few seconds of clock skew: any from 2 to well under 60 is right",
        "constant: `5` → `4` in `return jwt.decode(token, key, algorithms=[\"HS256\"], audience=AUDIENCE…`":
            "leeway is a few seconds of clock skew: any from 2 to well under 60 is right",
    },
    "ch16.q1": {
        "constant: `'tasks:'` → `'tasks'` in `return f\"tasks:{user_id}:{generation}:{page}:{limit}\"`":
            "the prefix only names the kind of key; every part keeps its own separator, so keys stay distinct",
    },
    "ch19.q1": {
        "constant: `'name: ci\\n\\non:\\n  push:\\n    branches: [main]\\n  pull_request:\\n\\np…` → "
        "`'name: ci\\n\\non:\\n  push:\\n    branches: [main]\\n  pull_request:\\n\\np…` in `workflow = \"\"\"\\`":
            "the text loses its final newline: the same YAML",
        "yaml: removed `name`": WORKFLOW_NAME,
        "yaml: `name`: 'ci' → 'c'": WORKFLOW_NAME,
        "yaml: removed `on.push.branches`": "push on every branch runs on every push to main too, as asked",
        "yaml: removed `jobs.test.timeout-minutes`": JOB_TIMEOUT,
        "yaml: `jobs.test.timeout-minutes`: 15 → 16": JOB_TIMEOUT,
        "yaml: `jobs.test.timeout-minutes`: 15 → 14": JOB_TIMEOUT,
        "yaml: `jobs.test.services.postgres.options`: …erval 2s --health-timeout 5s --health-retries 10' → "
        "…terval 2s --health-timeout 5s --health-retries 1'":
            "how many failed probes make the service unhealthy is a tolerance the exercise leaves open; the health "
            "check it asks for is there",
        "yaml: removed `jobs.test.steps[1].with.cache-dependency-path`":
            "setup-python's default, **/requirements.txt, is the sample's lock file: the same key",
        "yaml: removed `jobs.test.steps[2].name`": STEP_NAME,
        "yaml: `jobs.test.steps[2].name`: 'Install' → 'Instal'": STEP_NAME,
        "yaml: removed `jobs.test.steps[3].name`": STEP_NAME,
        "yaml: `jobs.test.steps[3].name`: 'Lint' → 'Lin'": STEP_NAME,
        "yaml: removed `jobs.test.steps[4].name`": STEP_NAME,
        "yaml: `jobs.test.steps[4].name`: 'Test' → 'Tes'": STEP_NAME,
        "yaml: `jobs.test.steps[3].run`: 'ruff check .' → 'ruff check '":
            "ruff check without a path checks the current directory",
    },
    "ch19.q2": {
        "constant: `'name: greet\\non: pull_request\\npermissions:\\n  contents: read\\njobs:…` → "
        "`'name: greet\\non: pull_request\\npermissions:\\n  contents: read\\njobs:…` in `safe_greet = \"\"\"\\`":
            "the text loses its final newline: the same YAML",
        "yaml: removed `name`": WORKFLOW_NAME,
        "yaml: `name`: 'greet' → 'gree'": WORKFLOW_NAME,
        "yaml: removed `permissions`": GREET_SCOPE,
        "yaml: removed `permissions.contents`": GREET_SCOPE,
        "yaml: removed `jobs.greet.steps[0].name`": STEP_NAME,
        "yaml: `jobs.greet.steps[0].name`: 'Greet' → 'Gree'": STEP_NAME,
    },
    "ch08.q3": {
        "constant: `0` → `1` in `total: int = Field(ge=0)`":
            "no total crashes the handler; the exercise asks only that no input gives a 500",
        "constant: `0` → `-1` in `total: int = Field(ge=0)`":
            "no total crashes the handler; the exercise asks only that no input gives a 500",
        "keyword removed: `ge=0` from `Field(ge=0)`":
            "no total crashes the handler; the exercise asks only that no input gives a 500",
    },
    "ch10.q1": {
        "constant: `0` → `-1` in `tags, position = [], 0`": "re.match's pos below 0 is read as 0",
        "constant: `'W/'` → `'W'` in `return None if any(tag == current and not tag.startswith(\"W/\") for ta…`":
            "a strong tag starts with a quote, so starting with W and starting with W/ are the same test here",
    },
    "ch11.q1": {
        "constant: `'\\n'` → `''` in `return \"\\n\".join(lines)`":
            "nginx's syntax ignores line breaks: a statement ends with ';', a block with '}' (nginx -t agrees)",
        "constant: `1` → `0` in `lines.append(f\"    server {address};\" if weight == 1 else f\"    serve…`":
            "weight=1 written out is nginx's default said out loud: the same upstream",
    },
    "ch11.q3": {
        "constant: `'visits:'` → `'visits'` in `return redis.incr(f\"visits:{page}\")`":
            "a key's name is free: one key per page is what the check asks",
    },
}


# Chapter 18's answers are test suites, and its solutions are redundant on purpose (examples and a property; each
# rule from both sides). A mutant of a suite that still passes on the real code and fails on every mutant of it
# is a right answer: each one below was run, and the check found it so.
STILL_CATCHES_EVERY_MUTANT = "the changed suite still passes on the real code and fails on every mutant"
EQUIVALENT["ch18.q1"] = dict.fromkeys([
    "statement removed: `@given(total=st.integers(min_value=1, max_value=10000), limit=st.inte…` → `pass`",
    "statement removed: `assert (last - 1) * limit < total <= last * limit` → `pass`",
    "comparison: `(last - 1) * limit < total <= last * limit` → `(last - 1) * limit <= total <= last * limit`",
    "keyword removed: `max_value=10000` from `st.integers(min_value=1, max_value=10000)`",
    "keyword removed: `max_value=100` from `st.integers(min_value=1, max_value=100)`",
    "constant: `0` → `-1` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…`",
    "constant: `20` → `21` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…`",
    "constant: `20` → `19` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…`",
    "constant: `1` → `2` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#2)",
    "constant: `1` → `0` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#2)",
    "constant: `20` → `21` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#2)",
    "constant: `20` → `19` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#2)",
    "constant: `20` → `19` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#3)",
    "constant: `20` → `21` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#4)",
    "constant: `21` → `22` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…`",
    "constant: `20` → `19` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#5)",
    "constant: `40` → `39` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…`",
    "constant: `20` → `21` in `@pytest.mark.parametrize(\"total, limit, last\", [(0, 20, 1), (1, 20, 1…` (#6)",
    "constant: `41` → `42` in `(41, 20, 3), (5, 2, 3), (4, 2, 2)])`",
    "constant: `20` → `19` in `(41, 20, 3), (5, 2, 3), (4, 2, 2)])`",
    "constant: `5` → `6` in `(41, 20, 3), (5, 2, 3), (4, 2, 2)])`",
    "constant: `4` → `3` in `(41, 20, 3), (5, 2, 3), (4, 2, 2)])`",
    "constant: `2` → `3` in `(41, 20, 3), (5, 2, 3), (4, 2, 2)])` (#2)",
    "parameter → literal: `limit` → `1` in `assert (last - 1) * limit < total <= last * limit`",
    "constant: `1` → `2` in `assert (last - 1) * limit < total <= last * limit`",
    "constant: `1` → `2` in `@given(total=st.integers(min_value=1, max_value=10_000), limit=st.int…`",
    "constant: `10000` → `10001` in `@given(total=st.integers(min_value=1, max_value=10_000), limit=st.int…`",
    "constant: `10000` → `9999` in `@given(total=st.integers(min_value=1, max_value=10_000), limit=st.int…`",
    "constant: `1` → `2` in `@given(total=st.integers(min_value=1, max_value=10_000), limit=st.int…` (#2)",
    "constant: `100` → `101` in `@given(total=st.integers(min_value=1, max_value=10_000), limit=st.int…`",
    "constant: `100` → `99` in `@given(total=st.integers(min_value=1, max_value=10_000), limit=st.int…`",
], STILL_CATCHES_EVERY_MUTANT)
EQUIVALENT["ch18.q2"] = dict.fromkeys([
    "statement removed: `assert page.status_code == 200` → `pass`",
    "statement removed: `assert client.get(url, headers=ada).status_code == 200` → `pass`",
    "statement removed: `assert client.get(url, headers=ada).json()['title'] == 'v2'` → `pass`",
    "constant: `5` → `6` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])`",
    "constant: `5` → `4` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])`",
    "constant: `2` → `3` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])`",
    "constant: `2` → `1` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])`",
    "constant: `4` → `5` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])`",
    "constant: `4` → `3` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])`",
    "constant: `2` → `3` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])` (#2)",
    "constant: `2` → `1` in `@pytest.mark.parametrize(\"count, limit\", [(5, 2), (4, 2)])` (#2)",
    "constant: `'v1'` → `'v'` in `created = client.post(\"/tasks\", json={\"title\": \"v1\"}, headers=ada)`",
    "parameter → literal: `count` → `5` in `made = [client.p"
    "ost(\"/tasks\", json={\"title\": f\"task {n}\"}, headers=ad…`",
    "constant: `\"Ada's\"` → `\"Ada'\"` in `url = client.post("
    "\"/tasks\", json={\"title\": \"Ada's\"}, headers=ada).hea…`",
    "constant: `'v3'` → `'v'` in `assert client.patch(url, json={\"title\": \"v3\"}, headers={**ada, \"If-Ma…`",
    "parameter → literal: `limit` → `2` in `assert sorted(walk(client, f\"/tasks?limit={limit}\", ada)) == sorted(m…`",
    "constant: `'task '` → `'task'` in `made = [client.post(\"/tasks\", json={\"title\": f\"task {n}\"}, headers=ad…`",
], STILL_CATCHES_EVERY_MUTANT)

KNOWN_GAPS: dict[str, dict[str, str]] = {}  # wrong answers a check still calls Correct: tolerated until fixed


@pytest.mark.parametrize("exercise_id", sorted(SETUP))
def test_every_behaviour_changing_mutant_is_incorrect(exercise_id, capsys):
    if exercise_id.startswith("ch18") and os.environ.get("DATABASE_URL"):
        # Each learner test gets a database of its own: on PostgreSQL a schema per test, for ~100 mutant suites × 7
        # apps. What the check judges does not depend on the database; the embedded pass runs these.
        pytest.skip("chapter 18's mutants are judged on the embedded database (make test's first pass)")
    with capsys.disabled():
        assert_every_behaviour_changing_mutant_is_incorrect(exercise_id, SETUP[exercise_id],
                                                            EQUIVALENT.get(exercise_id, {}), print_inline,
                                                            KNOWN_GAPS.get(exercise_id, {}))


@pytest.mark.parametrize("exercise_id", sorted(SETUP))
def test_the_solution_is_correct_outside_utc(exercise_id):
    assert_solution_correct_outside_utc(exercise_id, SETUP[exercise_id])


def print_inline(text: str) -> None:
    """The mutation score on the test's own line of pytest's output."""
    print(text, end="")
