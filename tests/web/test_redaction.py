"""Redaction: credentials in headers, mappings, text and log records masked; everything else kept."""

import logging

import pytest

from course_lib.web.redaction import (
    MASK,
    RedactingFilter,
    install_redaction,
    is_sensitive,
    redact,
    redact_headers,
    redact_text,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "name",
    ["Authorization", "proxy-authorization", "Cookie", "Set-Cookie", "X-API-Key", "password", "new_password",
     "refresh_token", "access_token", "client_secret", "SECRET_KEY", "X-CSRF-Token"],
)  # fmt: skip
def test_sensitive_names(name):
    assert is_sensitive(name)


@pytest.mark.parametrize("name", ["Accept", "If-Match", "Idempotency-Key", "ETag", "email", "title", "cursor"])
def test_ordinary_names(name):
    assert not is_sensitive(name)


def test_headers_keep_their_names_and_lose_secret_values():
    headers = [(b"authorization", b"Bearer " + JWT.encode()), (b"cookie", b"__Host-session=abc"), (b"accept", b"*/*")]
    assert redact_headers(headers) == {"authorization": MASK, "cookie": MASK, "accept": "*/*"}
    assert redact_headers({"Set-Cookie": "s=1; HttpOnly", "X-API-Key": "k", "ETag": '"v1"'}) == {
        "Set-Cookie": MASK,
        "X-API-Key": MASK,
        "ETag": '"v1"',
    }


def test_nested_mappings_and_lists():
    body = {"email": "ada@example.org", "password": "violet harbor", "tokens": [{"refresh_token": "r"}], "n": 3}
    assert redact(body) == {"email": "ada@example.org", "password": MASK, "tokens": MASK, "n": 3}
    assert redact([{"api_key": "k", "title": "t"}]) == [{"api_key": MASK, "title": "t"}]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"token {JWT} rejected", JWT),
        ("GET /tasks?access_token=abc123&page=2", "abc123"),
        ('{"email": "a@b.org", "password": "violet harbor lantern"}', "violet harbor lantern"),
        ("{'password': 'p w', 'title': 'x'}", "p w"),
        ("Cookie: __Host-session=s3ss10n; theme=dark", "s3ss10n"),
        ("could not connect to postgresql://app:hunter2hunter2@db/tasks", "hunter2hunter2"),
        ("X-API-Key: key_0123456789", "key_0123456789"),
    ],
)
def test_text_loses_the_secret_and_keeps_the_rest(text, secret):
    redacted = redact_text(text)
    assert secret not in redacted and MASK in redacted


def test_text_without_secrets_is_unchanged():
    for text in ("GET /tasks?cursor=abc&limit=20 200", "cache key: tasks:1:g3", "title=buy milk"):
        assert redact_text(text) == text


def test_a_log_record_is_redacted_in_its_message_args_extras_and_traceback(caplog):
    logger = logging.getLogger("tests.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.redaction"):
            logger.info("login %s with %s", {"email": "a@b.org", "password": "p4ss"}, f"Bearer {JWT}",
                        extra={"headers": {"Authorization": "Basic YTpi"}, "api_key": "k"})  # fmt: skip
            try:
                raise ConnectionError("postgresql://app:hunter2hunter2@db/tasks refused")
            except ConnectionError:
                logger.exception("database down")
        text = caplog.text
        assert "p4ss" not in text and JWT not in text and "hunter2hunter2" not in text
        record = caplog.records[0]
        assert record.headers == {"Authorization": MASK} and record.api_key == MASK
        assert "a@b.org" in text and "database down" in text and "ConnectionError" in text
    finally:
        logger.filters.clear()


def test_install_adds_one_filter_per_logger_however_often_it_runs():
    install_redaction("tests.redaction.a", "tests.redaction.b")
    install_redaction("tests.redaction.a")
    assert len(logging.getLogger("tests.redaction.a").filters) == 1
    assert logging.getLogger("tests.redaction.b").filters == logging.getLogger("tests.redaction.a").filters
