"""What a learner's function calls, read from its source: for rules that behaviour cannot show (constant time)."""

from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import types
from collections.abc import Callable
from typing import Any


def _code_names(code: types.CodeType) -> set[str]:
    """Every global and attribute name a code object (and the functions inside it) refers to."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _code_names(constant)
    return names


def called_names(function: Callable[..., Any]) -> set[str] | None:
    """The names `function` calls (`compare_digest` for `hmac.compare_digest(...)`), or None when it cannot be read.

    Without source (code run by exec), the compiled names stand in: every name it refers to, called or not."""
    function = inspect.unwrap(function)  # a checker's wrapper (functools.wraps) is not the learner's code
    code = getattr(function, "__code__", None)
    try:
        if isinstance(code, types.CodeType) and not linecache.getlines(code.co_filename):
            raise OSError("no source")  # exec'd code: inspect would guess from __main__'s file, a wrong source
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return _code_names(code) if isinstance(code, types.CodeType) else None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                names.add(node.func.id)
            elif isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
    return names


def misses_call(function: Callable[..., Any], name: str) -> bool:
    """True when `function`'s source is readable and never calls `name`."""
    names = called_names(function)
    return names is not None and name not in names


def _always_leaves(statements: list[ast.stmt]) -> bool:
    """True when running `statements` surely ends in a return or a raise (a conservative reading)."""
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, ast.If):
        return _always_leaves(last.body) and _always_leaves(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _always_leaves(last.body)
    if isinstance(last, ast.Try):
        ends = _always_leaves(last.orelse) if last.orelse else _always_leaves(last.body)
        return _always_leaves(last.finalbody) or ends and all(_always_leaves(h.body) for h in last.handlers)
    if isinstance(last, ast.Match):
        return all(_always_leaves(case.body) for case in last.cases)
    if isinstance(last, ast.While) and isinstance(last.test, ast.Constant) and last.test.value is True:
        return not any(isinstance(node, ast.Break) for node in ast.walk(last))
    return False


def may_end_without_return(function: Callable[..., Any]) -> bool:
    """True when some path through `function` can end without a `return` (or its source is not readable)."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if not isinstance(code, types.CodeType) or not linecache.getlines(code.co_filename):
        return True
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return True
    definition = next(
        (node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    return definition is None or not _always_leaves(definition.body)
