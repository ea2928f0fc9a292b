"""What a learner's function calls, read from its source: for rules that behaviour cannot show (constant time)."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any


def called_names(function: Callable[..., Any]) -> set[str] | None:
    """The names `function` calls (`compare_digest` for `hmac.compare_digest(...)`), or None without its source."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
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
