"""Each checker against its stub, its solution, valid alternatives and known-wrong answers."""

import os
import re
import secrets
import uuid

from course_lib.checks.ch21 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def request_id_for(sent):
    if sent is not None and re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", sent):
        return sent
    return uuid.uuid4().hex


def test_q1_solution_alternatives_stub_and_wrong_answers():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(request_id_for).status == CORRECT
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")

    def by_set(sent):
        return sent if sent and len(sent) <= 64 and set(sent) <= allowed else secrets.token_hex(16)

    def by_urandom(sent):
        return sent if sent and len(sent) <= 64 and set(sent) <= allowed else os.urandom(12).hex()

    for right in (by_set, by_urandom):
        assert q1.evaluate(right).status == CORRECT, right

    def keep(pattern, fresh=lambda: uuid.uuid4().hex):
        return lambda sent: sent if sent is not None and re.fullmatch(pattern, sent) else fresh()

    counter = iter(range(10**6))
    wrong = [
        lambda sent: sent or uuid.uuid4().hex,  # trusts anything
        lambda sent: uuid.uuid4().hex,  # never keeps the client's
        keep(r"[A-Za-z0-9._:-]{1,65}"),  # one too long
        keep(r"[A-Za-z0-9._:-]{1,63}"),  # one too short
        keep(r"[A-Za-z0-9._:-]{0,64}"),  # keeps ""
        keep(r"[\w.:-]{1,64}"),  # \w takes é
        keep(r"[A-Za-z0-9._:-]{1,64}\n?"),
        lambda sent: sent if sent and re.match(r"[A-Za-z0-9._:-]{1,64}$", sent) else uuid.uuid4().hex,
        keep(r"[A-Za-z0-9._: -]{1,64}"),  # a space
        keep(r"[A-Za-z0-9._-]{1,64}"),  # refuses ':'
        keep(r"[A-Za-z0-9]{1,64}"),
        keep(r"[^\n]{1,64}"),
        lambda sent: (
            sent if sent and sent.replace("-", "").replace("_", "").isalnum() and len(sent) <= 64 else uuid.uuid4().hex
        ),  # isalnum takes é and Arabic digits
        keep(r"[A-Za-z0-9._:-]{1,64}", lambda: "generated"),  # one new id for everybody
        keep(r"[A-Za-z0-9._:-]{1,64}", lambda: str(next(counter))),  # guessable, short
        keep(r"[A-Za-z0-9._:-]{1,64}", lambda: str(uuid.uuid4()) + " "),  # not well-formed itself
        keep(r"[A-Za-z0-9._:-]{1,64}", lambda: None),
        lambda sent: (sent or "")[:64] or uuid.uuid4().hex,  # truncates instead of replacing
        lambda sent: re.sub(r"[^A-Za-z0-9._:-]", "", sent or "")[:64] or uuid.uuid4().hex,  # cleans instead
    ]
    for answer in wrong:
        assert q1.evaluate(answer).status == INCORRECT, answer


def quantile(buckets, q):
    total = buckets[-1][1]
    if total == 0:
        return None
    return next(le for le, count in buckets if count >= q * total)


def test_q2_solution_alternatives_stub_and_wrong_answers():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(quantile).status == CORRECT

    def by_share(buckets, q):
        total = buckets[-1][1]
        for le, count in buckets:
            if total and count / total >= q:
                return le
        return None

    assert q2.evaluate(by_share).status == CORRECT

    def strictly_more(buckets, q):
        total = buckets[-1][1]
        return next((le for le, count in buckets if count > q * total), None) if total else None

    def per_bucket_counts(buckets, q):  # reads the buckets as if they were not cumulative
        total = sum(count for _, count in buckets)
        seen = 0
        for le, count in buckets:
            seen += count
            if total and seen >= q * total:
                return le
        return None

    def zero_when_empty(buckets, q):
        return quantile(buckets, q) if buckets[-1][1] else 0.0

    def the_bucket_before(buckets, q):
        total = buckets[-1][1]
        if not total:
            return None
        found = [i for i, (le, count) in enumerate(buckets) if count >= q * total][0]
        return buckets[max(found - 1, 0)][0]

    def largest_bound(buckets, q):
        return buckets[-2][0] if buckets[-1][1] else None

    def ignores_q(buckets, q):
        return quantile(buckets, 0.95)

    def interpolates(buckets, q):  # Prometheus's histogram_quantile: a different question than the one asked
        total = buckets[-1][1]
        if not total:
            return None
        lower, below = 0.0, 0.0
        for le, count in buckets:
            if count >= q * total:
                if le == float("inf"):
                    return lower
                return lower + (le - lower) * ((q * total - below) / (count - below) if count > below else 1)
            lower, below = le, count
        return None

    for answer in (
        strictly_more,
        per_bucket_counts,
        zero_when_empty,
        the_bucket_before,
        largest_bound,
        ignores_q,
        interpolates,
    ):
        assert q2.evaluate(answer).status == INCORRECT, answer


def slowest_step(spans):
    own = {s["span_id"]: s["end"] - s["start"] for s in spans}
    for s in spans:
        if s["parent_id"] is not None:
            own[s["parent_id"]] -= s["end"] - s["start"]
    return max(spans, key=lambda s: own[s["span_id"]])["name"]


def test_q3_solution_alternatives_stub_and_wrong_answers():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(slowest_step).status == CORRECT

    def by_children(spans):
        children = {}
        for s in spans:
            children.setdefault(s["parent_id"], []).append(s)

        def own(s):
            return (s["end"] - s["start"]) - sum(c["end"] - c["start"] for c in children.get(s["span_id"], []))

        return max(spans, key=own)["name"]

    assert q3.evaluate(by_children).status == CORRECT

    def longest(spans):
        return max(spans, key=lambda s: s["end"] - s["start"])["name"]

    def longest_child(spans):
        children = [s for s in spans if s["parent_id"] is not None] or spans
        return max(children, key=lambda s: s["end"] - s["start"])["name"]

    def longest_leaf(spans):
        parents = {s["parent_id"] for s in spans}
        leaves = [s for s in spans if s["span_id"] not in parents]
        return max(leaves, key=lambda s: s["end"] - s["start"])["name"]

    def all_descendants(spans):  # subtracts grandchildren too
        by_id = {s["span_id"]: s for s in spans}
        own = {s["span_id"]: s["end"] - s["start"] for s in spans}
        for s in spans:
            parent = s["parent_id"]
            while parent is not None:
                own[parent] -= s["end"] - s["start"]
                parent = by_id[parent]["parent_id"]
        return max(spans, key=lambda s: own[s["span_id"]])["name"]

    def fastest(spans):
        own = {s["span_id"]: s["end"] - s["start"] for s in spans}
        for s in spans:
            if s["parent_id"] is not None:
                own[s["parent_id"]] -= s["end"] - s["start"]
        return min(spans, key=lambda s: own[s["span_id"]])["name"]

    def last_started(spans):
        return max(spans, key=lambda s: s["start"])["name"]

    for answer in (longest, longest_child, longest_leaf, all_descendants, fastest, last_started):
        assert q3.evaluate(answer).status == INCORRECT, answer
