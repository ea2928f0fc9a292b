"""Each checker against its stub, its solution and known-wrong answers."""

import random
import re
import time

from course_lib.checks.ch10 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED

ENTITY_TAG = re.compile(r'\s*((?:W/)?"[^"]*")\s*(?:,|$)')


def entity_tags(header):
    tags, position = [], 0
    while position < len(header):
        match = ENTITY_TAG.match(header, position)
        if match is None:
            return []
        tags.append(match.group(1))
        position = match.end()
    return tags


def precondition_status(if_match, current):
    if if_match is None:
        return 428
    if if_match.strip() == "*":
        return None
    tags = entity_tags(if_match)
    return None if any(tag == current and not tag.startswith("W/") for tag in tags) else 412


def splits_on_commas(if_match, current):
    if if_match is None:
        return 428
    if if_match.strip() == "*":
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    return None if any(tag == current and not tag.startswith("W/") for tag in tags) else 412


def finds_tags(if_match, current):
    if if_match is None:
        return 428
    if if_match.strip() == "*":
        return None
    return None if ("", current) in re.findall(r'(W/)?("[^"]*")', if_match) else 412


def test_q1_solution_stub_and_mutants():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(precondition_status).status == CORRECT

    def weak_allowed(if_match, current):
        if if_match is None:
            return 428
        tags = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
        return None if if_match == "*" or current in tags else 412

    def missing_is_412(if_match, current):
        return 412 if if_match is None else precondition_status(if_match, current)

    def no_star(if_match, current):
        return 412 if if_match == "*" else precondition_status(if_match, current)

    def first_tag_only(if_match, current):
        if if_match is None:
            return 428
        return None if if_match == "*" or if_match.split(",")[0].strip() == current else 412

    def substring(if_match, current):
        if if_match is None:
            return 428
        return None if if_match == "*" or (current in if_match and "W/" not in if_match) else 412

    def case_blind(if_match, current):
        if if_match is None:
            return 428
        return None if if_match == "*" or if_match.lower() == current.lower() else 412

    def raises(if_match, current):
        raise ValueError("boom")

    assert q1.evaluate(finds_tags).status == CORRECT  # another valid parse

    for wrong in (
        weak_allowed,
        missing_is_412,
        no_star,
        first_tag_only,
        substring,
        case_blind,
        raises,
        splits_on_commas,
        lambda if_match, current: None,
        lambda if_match, current: 412,
    ):
        assert q1.evaluate(wrong).status == INCORRECT, wrong


def fetch(client, url, cached):
    headers = {"If-None-Match": cached["etag"]} if cached else {}
    response = client.get(url, headers=headers)
    if response.status_code == 304:
        return cached
    return {"etag": response.headers["etag"], "body": response.json()}


def test_q2_solution_stub_and_mutants():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(fetch).status == CORRECT

    def never_revalidates(client, url, cached):
        response = client.get(url)
        return {"etag": response.headers["etag"], "body": response.json()}

    def trusts_the_cache(client, url, cached):
        return cached or fetch(client, url, None)

    def empty_on_304(client, url, cached):
        headers = {"If-None-Match": cached["etag"]} if cached else {}
        response = client.get(url, headers=headers)
        return {"etag": response.headers["etag"], "body": response.json() if response.content else None}

    def keeps_old_etag(client, url, cached):
        fresh = fetch(client, url, cached)
        return {**fresh, "etag": cached["etag"]} if cached else fresh

    def body_only(client, url, cached):
        return client.get(url).json()

    for wrong in (never_revalidates, trusts_the_cache, empty_on_304, keeps_old_etag, body_only):
        result = q2.evaluate(wrong)
        assert result.status == INCORRECT, (wrong, result)


def append_line(client, url, line, auth):
    for attempt in range(10):
        task = client.get(url)
        description = task.json()["description"] + "\n" + line
        response = client.patch(
            url, json={"description": description}, headers={**auth, "If-Match": task.headers["etag"]}
        )
        if response.status_code != 412:
            return response
        time.sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
    return response


def test_q3_solution_stub_and_mutants():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(append_line).status == CORRECT

    def unbounded(client, url, line, auth):
        while True:
            task = client.get(url)
            description = task.json()["description"] + "\n" + line
            response = client.patch(
                url, json={"description": description}, headers={**auth, "If-Match": task.headers["etag"]}
            )
            if response.status_code != 412:
                return response
            time.sleep(random.uniform(0, 0.002))

    def swallows_everything(client, url, line, auth):
        while True:
            try:
                return unbounded(client, url, line, auth)
            except Exception:  # the wrong answer under test
                continue

    def no_backoff(client, url, line, auth):
        for _ in range(10):
            task = client.get(url)
            response = client.patch(
                url,
                json={"description": task.json()["description"] + "\n" + line},
                headers={**auth, "If-Match": task.headers["etag"]},
            )
            if response.status_code != 412:
                return response
        return response

    def gives_up_silently(client, url, line, auth):
        response = append_line(client, url, line, auth)
        return response if response.status_code == 200 else None

    def last_write_wins(client, url, line, auth):
        description = client.get(url).json()["description"] + "\n" + line
        return client.patch(url, json={"description": description}, headers={**auth, "If-Match": "*"})

    def no_if_match(client, url, line, auth):
        description = client.get(url).json()["description"] + "\n" + line
        return client.patch(url, json={"description": description}, headers=auth)

    def no_retry(client, url, line, auth):
        task = client.get(url)
        return client.patch(
            url,
            json={"description": task.json()["description"] + "\n" + line},
            headers={**auth, "If-Match": task.headers["etag"]},
        )

    def replaces(client, url, line, auth):
        while True:
            task = client.get(url)
            response = client.patch(url, json={"description": line}, headers={**auth, "If-Match": task.headers["etag"]})
            if response.status_code != 412:
                return response

    def retries_with_the_stale_tag(client, url, line, auth):
        task = client.get(url)
        for _ in range(3):
            response = client.patch(
                url,
                json={"description": task.json()["description"] + "\n" + line},
                headers={**auth, "If-Match": task.headers["etag"]},
            )
            if response.status_code != 412:
                return response
        return response

    for wrong in (
        last_write_wins,
        no_if_match,
        no_retry,
        replaces,
        retries_with_the_stale_tag,
        unbounded,
        swallows_everything,
        no_backoff,
        gives_up_silently,
    ):
        result = q3.evaluate(wrong)
        assert result.status == INCORRECT, (wrong, result)


def test_q3_backoff_is_read_from_the_sleeps_asked_not_from_the_clock():
    """A loop without a sleep is Incorrect however slow the machine; a sleep imported by name is still seen."""
    from time import sleep

    def sleeps_by_name(client, url, line, auth):
        for attempt in range(10):
            task = client.get(url)
            response = client.patch(
                url,
                json={"description": task.json()["description"] + "\n" + line},
                headers={**auth, "If-Match": task.headers["etag"]},
            )
            if response.status_code != 412:
                return response
            sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))
        return response

    def slow_without_sleeping(client, url, line, auth):
        for _ in range(10):
            task = client.get(url)
            deadline = time.perf_counter() + 0.002  # a busy machine: time passes, nobody waits on purpose
            while time.perf_counter() < deadline:
                pass
            response = client.patch(
                url,
                json={"description": task.json()["description"] + "\n" + line},
                headers={**auth, "If-Match": task.headers["etag"]},
            )
            if response.status_code != 412:
                return response
        return response

    assert q3.evaluate(sleeps_by_name).status == CORRECT
    assert q3.evaluate(slow_without_sleeping).status == INCORRECT
