"""Each checker against its stub, its solution and known-wrong answers."""

import re

from sqlalchemy import select

from course_lib.checks.ch06 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.sql_storage import TaskRow


def test_q1_link_targets():
    def stub(header):
        raise NotImplementedError

    def solution(header):
        targets = {}
        for url, params in re.findall(r"<([^>]*)>([^<]*)", header):
            rel = re.search(r'rel="?([^";,\s]+)', params)
            if rel:
                targets[rel.group(1)] = url
        return targets

    def split_on_commas(header):
        targets = {}
        for part in header.split(","):
            if ";" in part:
                url, rel = part.split(";", 1)
                targets[rel.strip().removeprefix("rel=").strip('"')] = url.strip()[1:-1]
        return targets

    def keeps_quotes(header):
        return {rel: url for url, rel in re.findall(r"<([^>]*)>;\s*rel=(\S+?)(?:,|$)", header)}

    assert q1.evaluate(stub).status == NOT_ATTEMPTED
    assert q1.evaluate(solution).status == CORRECT
    commas = q1.evaluate(split_on_commas)
    assert commas.status == INCORRECT and "sort=done,-title" in commas.request
    assert q1.evaluate(keeps_quotes).status == INCORRECT
    assert q1.evaluate(lambda header: [header]).status == INCORRECT


def test_q2_fetch_all():
    def stub(client, path):
        raise NotImplementedError

    def solution(client, path):
        items, response = [], client.get(path)
        while True:
            items += response.json()
            if "next" not in response.links:
                return items
            response = client.get(response.links["next"]["url"])

    def first_page_only(client, path):
        return client.get(path).json()

    def until_empty(client, path):
        items, page = [], 1
        while True:
            batch = client.get(path, params={"page": page}).json()
            if not batch:
                return items
            items, page = items + batch, page + 1

    def forever(client, path):
        while True:
            client.get(path)

    assert q2.evaluate(stub).status == NOT_ATTEMPTED
    assert q2.evaluate(solution).status == CORRECT
    short = q2.evaluate(first_page_only)
    assert short.status == INCORRECT and (short.expected, short.got) == (45, 20)
    extra = q2.evaluate(until_empty)
    assert extra.status == INCORRECT and (extra.expected, extra.got) == (3, 4)
    assert "does not stop" in q2.evaluate(forever).message


def test_q3_page_statement():
    def stub(page, limit):
        raise NotImplementedError

    def solution(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id).offset((page - 1) * limit).limit(limit)

    def ids_descending(page, limit):
        return (select(TaskRow.id).order_by(TaskRow.created_at.desc(), TaskRow.id.desc())
                .offset((page - 1) * limit).limit(limit))

    def no_tiebreaker(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at.desc()).offset((page - 1) * limit).limit(limit)

    def off_by_one_page(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id).offset(page * limit).limit(limit)

    def oldest_first(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at, TaskRow.id).offset((page - 1) * limit).limit(limit)

    def runs_it(page, limit):
        return [1, 2, 3]

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(lambda page, limit: None).status == NOT_ATTEMPTED
    assert q3.evaluate(solution).status == CORRECT
    assert q3.evaluate(ids_descending).status == CORRECT
    assert q3.evaluate(no_tiebreaker).status == INCORRECT  # right by luck, or visibly wrong: never Correct
    skipped = q3.evaluate(off_by_one_page)
    assert skipped.status == INCORRECT and skipped.request == "page_statement(1, 10)"
    assert q3.evaluate(oldest_first).status == INCORRECT
    assert q3.evaluate(runs_it).status == INCORRECT
