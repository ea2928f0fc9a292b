"""Each chapter 14 checker against its stub, its solution and plausible wrong answers."""

import base64
import binascii
import hashlib
import hmac
import json

from sqlalchemy import and_, or_, tuple_

from course_lib.checks.ch14 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.sql_tables import TaskRow


def after_key(created_at, task_id):
    return tuple_(TaskRow.created_at, TaskRow.id) < (created_at, task_id)


def test_q1_solution_stub_and_wrong_answers():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(after_key).status == CORRECT
    spelled_out = lambda c, i: or_(TaskRow.created_at < c, and_(TaskRow.created_at == c, TaskRow.id < i))  # noqa: E731
    assert q1.evaluate(spelled_out).status == CORRECT
    wrong = {
        "created_at only": lambda c, i: TaskRow.created_at < c,
        "<= repeats the last row": lambda c, i: tuple_(TaskRow.created_at, TaskRow.id) <= (c, i),
        "> walks the wrong way": lambda c, i: tuple_(TaskRow.created_at, TaskRow.id) > (c, i),
        "id only": lambda c, i: TaskRow.id < i,
        "ties by id the other way": lambda c, i: or_(
            TaskRow.created_at < c, and_(TaskRow.created_at == c, TaskRow.id > i)
        ),
        "a Python bool": lambda c, i: True,
        "raises": lambda c, i: 1 / 0,
    }
    for name, answer in wrong.items():
        result = q1.evaluate(answer)
        assert result.status == INCORRECT, name
    assert "skipped" in q1.evaluate(wrong["created_at only"]).message
    assert "twice" in q1.evaluate(wrong["<= repeats the last row"]).message


def keyset_page(rows, after, limit):
    ordered = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return [row for row in ordered if after is None or (row["created_at"], row["id"]) < after][:limit]


def test_q2_solution_stub_and_wrong_answers():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(keyset_page).status == CORRECT

    def created_at_only(rows, after, limit):
        ordered = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)
        return [row for row in ordered if after is None or row["created_at"] < after[0]][:limit]

    def inclusive(rows, after, limit):
        ordered = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)
        return [row for row in ordered if after is None or (row["created_at"], row["id"]) <= after][:limit]

    def unsorted(rows, after, limit):
        return [row for row in rows if after is None or (row["created_at"], row["id"]) < after][:limit]

    def ties_ascending(rows, after, limit):
        ordered = sorted(rows, key=lambda row: (row["created_at"], -row["id"]), reverse=True)
        return [row for row in ordered if after is None or (row["created_at"], row["id"]) < after][:limit]

    def sorts_in_place(rows, after, limit):
        rows.sort(key=lambda row: (row["created_at"], row["id"]), reverse=True)
        return keyset_page(rows, after, limit)

    def one_short(rows, after, limit):
        return keyset_page(rows, after, limit)[: limit - 1]

    for wrong in (created_at_only, inclusive, unsorted, ties_ascending, sorts_in_place, one_short):
        assert q2.evaluate(wrong).status == INCORRECT, wrong.__name__
    assert "smaller id were skipped" in q2.evaluate(created_at_only).message
    assert "strictly after" in q2.evaluate(inclusive).message


def verify(token, secret):
    payload, _, signature = token.partition(".")
    expected = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected.rstrip(b"="), signature.encode()):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    return body if isinstance(body, dict) else None


def test_q3_solution_stub_and_wrong_answers():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(verify).status == CORRECT

    def unchecked(token, secret):
        payload = token.partition(".")[0]
        try:
            body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error):
            return None
        return body if isinstance(body, dict) else None

    def prefix_compare(token, secret):
        payload, _, signature = token.partition(".")
        expected = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
        if not signature or not expected.decode().startswith(signature):
            return None
        return unchecked(token, secret)

    def raises_on_garbage(token, secret):
        payload, _, signature = token.partition(".")
        expected = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected.rstrip(b"=").decode(), signature):
            return None
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    def sha256_without_key(token, secret):
        payload, _, signature = token.partition(".")
        expected = base64.urlsafe_b64encode(hashlib.sha256(payload.encode()).digest()).rstrip(b"=").decode()
        return unchecked(token, secret) if hmac.compare_digest(expected, signature) else None

    def fixed_secret(token, secret):
        return verify(token, "the server's secret")

    def compares_str(token, secret):  # the old reference solution: TypeError on a non-ASCII signature
        payload, _, signature = token.partition(".")
        expected = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected.rstrip(b"=").decode(), signature):
            return None
        return unchecked(token, secret)

    def equals(token, secret):  # right answers, but in time that leaks how much of the signature matched
        payload, _, signature = token.partition(".")
        expected = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
        return unchecked(token, secret) if expected.rstrip(b"=") == signature.encode() else None

    for wrong in (unchecked, prefix_compare, raises_on_garbage, sha256_without_key, fixed_secret, compares_str, equals):
        assert q3.evaluate(wrong).status == INCORRECT, wrong.__name__
    assert "compare_digest" in q3.evaluate(equals).message
    assert "non-ASCII" in q3.evaluate(compares_str).message
