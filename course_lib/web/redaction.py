"""Secrets out of logs: credentials in headers, fields and text replaced by a mask before a line is written.

redact(value)            a copy of a mapping, list, header pairs or text with every secret masked (recursively)
redact_headers(headers)  a dict of header fields (any mapping or (name, value) pairs), secrets masked
redact_text(text)        free text: 'Bearer <token>', JWTs, URL passwords, 'password=...' pairs, Cookie lines
is_sensitive(name)       whether a header or field name holds a secret (Authorization, Cookie, password, *token*, ...)
RedactingFilter()        a logging.Filter that redacts a record's message, its arguments and its extra fields
install_redaction(*loggers)  add one RedactingFilter to each named logger (again: no second one)

Masking keeps the name and drops the value: a log line still says *that* a request had credentials, never which.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[REDACTED]"
SENSITIVE_NAMES = frozenset({"authorization", "proxy_authorization", "cookie", "set_cookie", "x_api_key", "api_key",
                             "apikey", "session", "sid", "x_csrf_token", "csrf_token"})  # fmt: skip
SENSITIVE_PARTS = ("password", "passwd", "secret", "token", "credential", "private_key")

_PAIR_NAMES = r"[\w-]*(?:password|passwd|secret|token|api[_-]?key|credential)[\w-]*|session|sid"
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # Authorization schemes followed by their credentials
    (re.compile(r"\b(Bearer|Basic|Digest|ApiKey|Token)\s+[A-Za-z0-9._~+/=:-]+", re.IGNORECASE), rf"\1 {MASK}"),
    # a JSON Web Token anywhere (header.payload.signature, base64url, the header always starts eyJ)
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"), MASK),
    # a password inside a URL: scheme://user:password@host (a DATABASE_URL in a connection error)
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE), rf"\1{MASK}@"),
    # Cookie / Set-Cookie / X-API-Key lines: everything after the field name
    (re.compile(r"\b((?:set-)?cookie|x-api-key|authorization)(\s*[:=]\s*)[^\r\n]+", re.IGNORECASE), rf"\1\2{MASK}"),
    # name=value, name: value, "name": "value" for a secret's name (query strings, form bodies, JSON, reprs)
    (
        re.compile(rf"""(["']?\b(?:{_PAIR_NAMES})["']?\s*[=:]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s&"',;}}]+)""", re.I),
        lambda found: found[1] + (found[2][0] + MASK + found[2][0] if found[2][0] in "\"'" else MASK),
    ),
]


def _normal(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def is_sensitive(name: str) -> bool:
    """True for a header or field name whose value is a credential or secret (case and - or _ do not matter)."""
    name = _normal(name)
    return name in SENSITIVE_NAMES or any(part in name for part in SENSITIVE_PARTS)


def redact_text(text: str) -> str:
    """`text` with credentials masked: schemes with tokens, JWTs, cookie lines and secret name=value pairs."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_headers(headers: Mapping[str, Any] | Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Header fields as a dict, each sensitive one's value masked (bytes pairs from an ASGI scope are decoded)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    redacted: dict[str, str] = {}
    for name, value in pairs:
        name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        redacted[name] = MASK if is_sensitive(name) else redact_text(value)
    return redacted


def redact(value: Any) -> Any:
    """A copy of `value` with secrets masked: mappings by key name (recursively), sequences item by item, text by
    redact_text; anything else unchanged."""
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and is_sensitive(key) else redact(item) for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], (str, bytes))
                         for pair in value):  # fmt: skip
            return list(redact_headers(value).items())  # header pairs: judged by their names
        return type(value)(redact(item) for item in value) if isinstance(value, tuple) else [redact(i) for i in value]
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", "replace"))
    if isinstance(value, str):
        return redact_text(value)
    return value


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class RedactingFilter(logging.Filter):
    """Redact a log record in place before any handler formats it: its message, its %-arguments and every extra field
    (logger.info("login", extra={"headers": ...})); a formatter or JSON handler downstream only sees masks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.exc_info and not record.exc_text:  # a traceback's text (an exception's message may hold a URL)
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        if record.args:
            record.args = redact(record.args) if isinstance(record.args, Mapping) else tuple(redact(record.args))
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, MASK if is_sensitive(name) else redact(value))
        return True


def install_redaction(*names: str) -> RedactingFilter:
    """Add one RedactingFilter to each named logger (a logger's filters see only records logged to it, not those
    its children propagate: name each logger that writes, or put the filter on the handler)."""
    shared = next((f for name in names for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)),
                  RedactingFilter())  # fmt: skip
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(each, RedactingFilter) for each in logger.filters):
            logger.addFilter(shared)
    return shared
