"""Mutation testing of exercise checkers: wrong variants of each solution, generated with `ast`, must be Incorrect.

API
---
`solution_cell(exercise_id) -> Cell`
    The solution cell of `exercise_id` ('ch02.q3') as the solved notebook runs it (from the chapter source, through
    course_lib.notebook.solutions), with the line numbers that lie between the solution markers and the name the
    notebook passes to `qK.check(...)`.

`mutants(source, lines, observed=None) -> list[Mutant]`
    Every mutant of `source` whose change lies on one of `lines`: comparison flips (`<`↔`<=`, `<`↔`>=`, `==`↔`!=`,
    `in`↔`not in`, `is`↔`is not`), int/float constants ±1, booleans negated, strings and bytes shortened by their last
    character, `and`↔`or`, `not` dropped, an if-branch inverted, a statement replaced by `pass`, a return value
    replaced by None, a keyword argument removed from a call (`ex=`, `algorithms=`: the library's default instead),
    `compare_digest(a, b)` replaced by `a == b` (not constant-time), in a string that is a multi-line YAML mapping
    (a workflow) each key and list item removed and each scalar changed, in a `${{ }}` expression the expression
    removed, `||`↔`&&`, an operand of `||` dropped (tests/checks/yaml_mutants.py),
    `session.commit()` added before each return of a function that writes through a `session`-like parameter (the
    caller owns the transaction), and — with `observed` from `observe()` — a parameter use (or `param.attr`,
    `param[key]`) replaced by the literal value the check passed first (the "hard-coded value" wrong answer). Each
    `Mutant` has a `description` (stable across edits that do not touch that code: no line numbers) and the full cell
    `source`.

`run_mutants(exercise_id, setup="", answer=None, timeout=60) -> tuple[list[Mutant], list[Mutant]]`
    (killed, survivors). `setup` is the code of the earlier notebook cells the exercise needs (imports, a served `api`,
    an earlier exercise's solution via `solution_cell("ch02.q2").source`); it runs once, and each mutant is exec'd
    in a copy of that namespace, as a notebook runs the solution cell, then `qK.evaluate(namespace[answer])` runs.
    `answer` defaults to the name the chapter passes to `qK.check(...)`. A mutant is killed when the check says
    anything but Correct, or when the mutated cell itself raises (the notebook would stop before the check); a check
    that does not finish within `timeout` seconds counts as a survivor (`description` ends with "(timed out)").
    Servers that `setup` started (RunningServer values in its namespace) are stopped at the end.

`score(killed, survivors) -> str`
    'killed/total' for a summary line.

`in_timezone(name)`
    A context manager that runs its block with the process in time zone `name` (TZ + time.tzset()), so a check and
    a solution are also tried outside UTC: an answer that is right only because the kernel runs in UTC must fail.

Typical test::

    killed, survivors = run_mutants("ch01.q3")
    assert {m.description for m in survivors} <= set(EQUIVALENT["ch01.q3"])
"""

from __future__ import annotations

import ast
import copy
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from course_lib.checks import all_exercises
from course_lib.notebook.exercises import CORRECT, local_time_zone
from course_lib.notebook.server import RunningServer
from course_lib.notebook.solutions import _CHECK_CALL, BEGIN, CHAPTERS, END, STUB, code_cells, split_solution
from tests.checks.yaml_mutants import expression_mutations, yaml_mutations

RECORDER = "__mutants_record__"


@dataclass(frozen=True)
class Mutant:
    """One wrong variant of a solution cell."""

    description: str
    source: str
    detail: str = field(default="", compare=False)  # what the check said about it


@dataclass(frozen=True)
class Cell:
    """A solution cell as the solved notebook runs it."""

    source: str
    lines: frozenset[int]  # 1-based lines of `source` that lie between the solution markers
    answer: str  # the name passed to qK.check(...)


def solution_cell(exercise_id: str) -> Cell:
    """The solution cell preceding `qK.check(...)` in the chapter source, its solution lines and the checked name."""
    chapter, name = exercise_id.split(".")
    path = next(CHAPTERS.glob(f"{chapter[2:]}_*.py"))
    last: tuple[str, frozenset[int]] | None = None
    for cell in code_cells(path):
        if BEGIN in cell:
            last = split_solution(cell, "solution"), _solution_lines(cell)
        for called in _CHECK_CALL.finditer(cell):
            if called.group(1) == name and last is not None:
                argument = cell[called.end() :].split(")", 1)[0].strip()
                return Cell(last[0], last[1], argument)
    raise LookupError(f"no solution cell before {name}.check(...) in {path.name}")


def _solution_lines(cell: str) -> frozenset[int]:
    """Line numbers, in the solution version of `cell`, of the lines between BEGIN and STUB/END."""
    lines, number, state = set(), 0, None
    for line in cell.splitlines():
        marker = line.strip()
        if marker == BEGIN:
            state = "solution"
        elif marker == STUB:
            state = "stub"
        elif marker == END:
            state = None
        elif state != "stub":
            number += 1
            if state == "solution":
                lines.add(number)
    return frozenset(lines)


# --- mutation sites -------------------------------------------------------------------------------------------

_BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
_NEGATION = {
    ast.Lt: ast.GtE,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
    ast.GtE: ast.Lt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for name, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, name, new)
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                if item is old:
                    value[index] = new
                    return
    raise LookupError("node not found under its parent")


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return (
        isinstance(parent, ast.Expr)
        and isinstance(parents.get(parent), (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))
        and parents[parent].body[0] is parent
    )


def _literal(value: Any) -> ast.expr | None:
    """An expression for `value` when it is a plain literal, else None."""
    try:
        text = repr(value)
        if ast.literal_eval(text) != value:
            return None
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return None
    return ast.parse(text, mode="eval").body


def _parameters(tree: ast.AST, parents: dict[ast.AST, ast.AST]) -> dict[ast.Name, str]:
    """Name loads that read a parameter of an enclosing function."""
    found = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        scope = parents.get(node)
        while scope is not None:
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                arguments = scope.args
                names = {arg.arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
                if node.id in names:
                    found[node] = node.id
                    break
            scope = parents.get(scope)
    return found


def _parameter_chains(tree: ast.AST, parents: dict[ast.AST, ast.AST]) -> Iterator[ast.expr]:
    """Each parameter load, and each `param.attr` / `param[key]` built on it (not a method about to be called)."""
    for name in _parameters(tree, parents):
        node: ast.expr = name
        while True:
            parent = parents.get(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                break  # a method: never a literal
            yield node
            if (
                isinstance(parent, (ast.Attribute, ast.Subscript))
                and parent.value is node
                and isinstance(parent.ctx, ast.Load)
            ):
                node = parent
            else:
                break


_WRITES = frozenset({"execute", "add", "add_all", "delete", "merge", "flush", "scalars", "scalar"})


def _session_parameter(function: ast.AST) -> str | None:
    """The parameter of `function` that it runs statements through (`session.execute(...)`, `session.add(...)`)."""
    arguments = function.args
    names = {arg.arg for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _WRITES
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
        ):
            return node.func.value.id
    return None


def _enclosing_function(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST | None:
    scope = parents.get(node)
    while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = parents.get(scope)
    return scope


def _writes(node: ast.AST, session: str) -> bool:
    return any(
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in _WRITES
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == session
        for call in ast.walk(node)
    )


def _after_a_write(node: ast.Return, parents: dict[ast.AST, ast.AST], session: str) -> bool:
    """The return's value writes through `session`, or a simple statement before it in its block does."""
    if _writes(node.value, session):
        return True
    body = next(value for _, value in ast.iter_fields(parents[node]) if isinstance(value, list) and node in value)
    return any(
        isinstance(statement, (ast.Expr, ast.Assign, ast.AnnAssign)) and _writes(statement, session)
        for statement in body[: body.index(node)]
    )


def _is_compare_digest(node: ast.Call) -> bool:
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    return name == "compare_digest" and len(node.args) == 2 and not node.keywords


def _sites(tree: ast.Module, lines: frozenset[int], observed: dict[int, Any]) -> Iterator[tuple[int, str, Any]]:
    """(node index in ast.walk order, kind, payload) for every mutation of `tree` on `lines`."""
    parents = _parents(tree)
    chains = {id(node) for node in _parameter_chains(tree, parents)}
    for index, node in enumerate(ast.walk(tree)):
        if getattr(node, "lineno", None) not in lines:
            continue
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                for table in (_BOUNDARY, _NEGATION):
                    if type(op) in table:
                        yield index, "compare", (position, table[type(op)])
        elif isinstance(node, ast.Constant) and not _is_docstring(node, parents):
            value = node.value
            if isinstance(value, bool):
                yield index, "constant", not value
            elif isinstance(value, (int, float)):
                yield index, "constant", value + 1
                yield index, "constant", value - 1
            elif isinstance(value, (str, bytes)) and value:
                yield index, "constant", value[:-1]
                if isinstance(value, str):  # a YAML answer (a workflow): its keys, items and scalars mutated
                    for description, text in yaml_mutations(value):
                        yield index, "text", (f"yaml: {description}", text)
                    for description, text in expression_mutations(value):  # and its ${{ }} expressions
                        yield index, "text", (f"expression: {description}", text)
        elif isinstance(node, ast.BoolOp):
            yield index, "boolop", ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield index, "drop-not", None
        elif isinstance(node, (ast.If, ast.IfExp)):
            yield index, "invert-if", None
        if (
            isinstance(node, ast.stmt)
            and not isinstance(node, ast.Pass)
            and not (isinstance(node, ast.Expr) and _is_docstring(node.value, parents))
        ):
            yield index, "remove", None
        if (
            isinstance(node, ast.Return)
            and node.value is not None
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            yield index, "return-none", None
        if isinstance(node, ast.Call):
            for position, keyword in enumerate(node.keywords):
                if keyword.arg is not None:  # not **kwargs
                    yield index, "drop-keyword", position
            if _is_compare_digest(node):
                yield index, "digest-eq", None
        if isinstance(node, ast.Return) and node.value is not None:
            function = _enclosing_function(node, parents)
            session = function is not None and _session_parameter(function)
            if session and _after_a_write(node, parents, session):
                yield index, "add-commit", session
        if id(node) in chains and index in observed:
            literal = _literal(observed[index])
            if literal is not None:
                yield index, "literal", literal


def _apply(tree: ast.Module, index: int, kind: str, payload: Any, source: str) -> tuple[str, str]:
    """Mutate a copy of `tree` at node `index`; return (description, source)."""
    mutated = copy.deepcopy(tree)
    where = source.splitlines()[list(ast.walk(tree))[index].lineno - 1].strip()
    node = list(ast.walk(mutated))[index]
    parents = _parents(mutated)
    before = ast.unparse(node) if not isinstance(node, ast.stmt) else ast.unparse(node).splitlines()[0]
    if kind == "compare":
        position, op = payload
        node.ops[position] = op()
        after, what = ast.unparse(node), "comparison"
    elif kind == "constant":
        replacement = ast.Constant(payload)
        _replace(parents[node], node, replacement)
        before, after, what = repr(node.value), repr(payload), "constant"
        return f"{what}: `{_clip(before)}` → `{_clip(after)}` in `{_clip(where)}`", _unparse(mutated)
    elif kind == "boolop":
        node.op = payload
        after, what = ast.unparse(node), "and/or"
    elif kind == "drop-not":
        _replace(parents[node], node, node.operand)
        after, what = ast.unparse(node.operand), "not dropped"
    elif kind == "invert-if":
        node.test = ast.UnaryOp(ast.Not(), node.test)
        after, what = ast.unparse(node.test), "if inverted"
        before = ast.unparse(node.test.operand)
    elif kind == "remove":
        _replace(parents[node], node, ast.Pass())
        after, what = "pass", "statement removed"
    elif kind == "return-none":
        node.value = ast.Constant(None)
        after, what = "return None", "return value"
    elif kind == "drop-keyword":
        keyword = node.keywords.pop(payload)
        after, what = ast.unparse(node), "keyword removed"
        return (f"{what}: `{_clip(ast.unparse(keyword))}` from `{_clip(before)}`", _unparse(mutated))
    elif kind == "digest-eq":
        _replace(parents[node], node, ast.Compare(node.args[0], [ast.Eq()], [node.args[1]]))
        after, what = f"{ast.unparse(node.args[0])} == {ast.unparse(node.args[1])}", "== for compare_digest"
    elif kind == "add-commit":  # return x → result = x; session.commit(); return result
        body = next(value for _, value in ast.iter_fields(parents[node]) if isinstance(value, list) and node in value)
        keep = ast.Assign([ast.Name("_mutant_result", ast.Store())], node.value)
        commit = ast.Expr(ast.Call(ast.Attribute(ast.Name(payload, ast.Load()), "commit", ast.Load()), [], []))
        body[body.index(node) : body.index(node) + 1] = [
            keep,
            commit,
            ast.Return(ast.Name("_mutant_result", ast.Load())),
        ]
        return f"commit added: `{payload}.commit()` at `{_clip(before)}`", _unparse(mutated)
    elif kind == "text":  # a string constant rewritten as a whole (a YAML text, an expression)
        description, text = payload
        _replace(parents[node], node, ast.Constant(text))
        return description, _unparse(mutated)
    elif kind == "literal":
        _replace(parents[node], node, payload)
        after, what = ast.unparse(payload), "parameter → literal"
        return f"{what}: `{_clip(before)}` → `{_clip(after)}` in `{_clip(where)}`", _unparse(mutated)
    else:
        raise ValueError(kind)
    return f"{what}: `{_clip(before)}` → `{_clip(after)}`", _unparse(mutated)


def _unparse(tree: ast.Module) -> str:
    return ast.unparse(ast.fix_missing_locations(tree))


def _clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def mutants(source: str, lines: frozenset[int] | None = None, observed: dict[int, Any] | None = None) -> list[Mutant]:
    """Every mutant of `source` changing code on `lines` (all lines when None)."""
    tree = ast.parse(source)
    if lines is None:
        lines = frozenset(range(1, len(source.splitlines()) + 1))
    found: list[Mutant] = []
    seen: dict[str, int] = {}
    sources: set[str] = set()
    for index, kind, payload in _sites(tree, lines, observed or {}):
        description, text = _apply(tree, index, kind, payload, source)
        if text in sources or text == ast.unparse(tree):
            continue  # two operators that give the same program are one mutant
        sources.add(text)
        seen[description] = seen.get(description, 0) + 1
        if seen[description] > 1:
            description += f" (#{seen[description]})"
        found.append(Mutant(description, text))
    return found


# --- observing the solution ------------------------------------------------------------------------------------


def observe(source: str, lines: frozenset[int], run: Callable[[dict], None], namespace: dict) -> dict[int, Any]:
    """Run an instrumented `source` (via `run(namespace)`) and return the first value each parameter chain had."""
    tree = ast.parse(source)
    parents = _parents(tree)
    index_of = {id(node): index for index, node in enumerate(ast.walk(tree))}
    targets = [node for node in _parameter_chains(tree, parents) if getattr(node, "lineno", None) in lines]
    seen: dict[int, Any] = {}
    lock = threading.Lock()

    def record(index: int, value: Any) -> Any:
        with lock:
            seen.setdefault(index, value)
        return value

    instrumented = copy.deepcopy(tree)
    copies = list(ast.walk(instrumented))
    copy_parents = _parents(instrumented)
    for node in targets:
        index = index_of[id(node)]
        twin = copies[index]
        call = ast.Call(ast.Name(RECORDER, ast.Load()), [ast.Constant(index), twin], [])
        _replace(copy_parents[twin], twin, call)
    ast.fix_missing_locations(instrumented)
    space = dict(namespace, **{RECORDER: record})
    exec(compile(instrumented, "<observed solution>", "exec", dont_inherit=True), space)
    run(space)
    return seen


# --- running -----------------------------------------------------------------------------------------------------


def _evaluate(exercise, answer: Any, timeout: float):
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(exercise.evaluate(answer)), daemon=True)
    worker.start()
    worker.join(timeout)
    return outcome[0] if outcome else None


def run_mutants(
    exercise_id: str, setup: str = "", answer: str | None = None, timeout: float = 60
) -> tuple[list[Mutant], list[Mutant]]:
    """(killed, survivors) of the mutants of `exercise_id`'s solution cell under its check."""
    exercise = all_exercises()[exercise_id]
    cell = solution_cell(exercise_id)
    name = answer or cell.answer
    base: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(setup, f"<setup {exercise_id}>", "exec", dont_inherit=True), base)
    try:
        solved = exercise.evaluate(_run_cell(cell.source, base)[name])
        if solved.status != CORRECT:
            raise AssertionError(f"the solution of {exercise_id} is not Correct:\n{solved!r}")
        observed = observe(cell.source, cell.lines, lambda space: exercise.evaluate(space[name]), base)
        killed, survivors = [], []
        for mutant in mutants(cell.source, cell.lines, observed):
            try:
                space = _run_cell(mutant.source, base)
                if name not in space:
                    raise NameError(f"name {name!r} is not defined")
            except Exception as error:  # the notebook would stop at this cell: the learner sees the error
                killed.append(Mutant(mutant.description, mutant.source, f"cell raised {type(error).__name__}"))
                continue
            result = _evaluate(exercise, space[name], timeout)
            if result is None:
                survivors.append(Mutant(mutant.description + " (timed out)", mutant.source))
            elif result.status == CORRECT:
                survivors.append(mutant)
            else:
                killed.append(Mutant(mutant.description, mutant.source, "\n".join(result.lines())))
        return killed, survivors
    finally:
        for value in base.values():
            if isinstance(value, RunningServer):
                value.stop()


def _run_cell(source: str, base: dict[str, Any]) -> dict[str, Any]:
    space = dict(base)
    exec(compile(source, "<solution cell>", "exec", dont_inherit=True), space)
    return space


def score(killed: list[Mutant], survivors: list[Mutant]) -> str:
    """'killed/total'."""
    return f"{len(killed)}/{len(killed) + len(survivors)}"


in_timezone = local_time_zone  # run a block with the process's local time zone set to a name


def assert_every_behaviour_changing_mutant_is_incorrect(
    exercise_id: str, setup: str, equivalent: dict[str, str], report, known_gaps: dict[str, str] | None = None
) -> None:
    """Run the mutants of an exercise; every survivor must be a listed equivalent, and every listed one survive.

    `known_gaps`: wrong answers the check still calls Correct, each with who fixes it; tolerated, never required.
    """
    known_gaps = known_gaps or {}
    killed, survivors = run_mutants(exercise_id, setup)
    gaps = [mutant.description for mutant in survivors if mutant.description in known_gaps]
    report(
        f"\nmutation score {exercise_id}: {score(killed, survivors)} killed, "
        f"{len(survivors) - len(gaps)} equivalent survivor(s)" + (f", {len(gaps)} KNOWN GAP(S)" if gaps else "")
    )
    wrongly_correct = [
        mutant.description
        for mutant in survivors
        if mutant.description not in equivalent and mutant.description not in known_gaps
    ]
    assert not wrongly_correct, f"wrong answers the check of {exercise_id} calls Correct: {wrongly_correct}"
    refused = sorted(set(equivalent) - {mutant.description for mutant in survivors})
    assert not refused, f"right answers the check of {exercise_id} refuses (or stale entries): {refused}"
    assert killed, "no mutant at all: is the solution cell found?"


def assert_solution_correct_outside_utc(exercise_id: str, setup: str) -> None:
    """The solution cell stays Correct with the kernel's clock in New York."""
    cell = solution_cell(exercise_id)
    with in_timezone("America/New_York"):
        assert time.localtime().tm_gmtoff != 0
        space = {"__name__": "__main__"}
        exec(compile(setup, f"<setup {exercise_id}>", "exec", dont_inherit=True), space)
        exec(compile(cell.source, "<solution cell>", "exec", dont_inherit=True), space)
        result = all_exercises()[exercise_id].evaluate(space[cell.answer])
    assert result.status == CORRECT, repr(result)
