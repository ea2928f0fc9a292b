"""The YAML mutants: every key, item and scalar of a workflow text, and nothing for a text that is not one."""

from course_lib.lab.workflows import parse
from tests.checks.mutants import mutants
from tests.checks.yaml_mutants import expression_mutations, yaml_mutations

TEXT = """\
on:
  push:
    branches: [main]
jobs:
  a:
    timeout-minutes: 5
    continue-on-error: false
"""


def test_every_key_item_and_scalar_is_mutated_once():
    found = dict(yaml_mutations(TEXT))
    assert set(found) == {
        "removed `on`",
        "removed `on.push`",
        "removed `on.push.branches`",
        "removed `on.push.branches[0]`",
        "`on.push.branches[0]`: 'main' → 'mai'",
        "removed `jobs`",
        "removed `jobs.a`",
        "removed `jobs.a.timeout-minutes`",
        "`jobs.a.timeout-minutes`: 5 → 6",
        "`jobs.a.timeout-minutes`: 5 → 4",
        "removed `jobs.a.continue-on-error`",
        "`jobs.a.continue-on-error`: False → True",
    }
    assert parse(found["removed `on.push.branches[0]`"])["on"] == {"push": {"branches": []}}
    assert parse(found["`jobs.a.continue-on-error`: False → True"])["jobs"]["a"]["continue-on-error"] is True


def test_a_text_that_is_not_a_yaml_mapping_has_no_yaml_mutants():
    assert yaml_mutations("one line: only") == []
    assert yaml_mutations("SELECT *\nFROM tasks\n") == []
    assert yaml_mutations("- a\n- b\n") == []


def test_a_solution_cells_workflow_string_is_mutated_as_yaml():
    described = [m.description for m in mutants(f"workflow = {TEXT!r}\n")]
    assert "yaml: removed `on.push`" in described
    assert sum(d.startswith("yaml: ") for d in described) == 12


def test_expressions_are_mutated():
    found = dict(expression_mutations("${{ github.workflow }}-${{ github.head_ref || github.run_id }}"))
    last = "${{ github.head_ref || github.run_id }}"
    assert found == {
        "`${{ github.workflow }}` removed": f"-{last}",
        f"`{last}` removed": "${{ github.workflow }}-",
        f"`||` → `&&` in `{last}`": "${{ github.workflow }}-${{ github.head_ref && github.run_id }}",
        f"`github.head_ref` dropped from `{last}`": "${{ github.workflow }}-${{ github.run_id }}",
        f"`github.run_id` dropped from `{last}`": "${{ github.workflow }}-${{ github.head_ref }}",
    }
    assert expression_mutations("no expression") == []
