"""Each checker against its stub, its solution and known-wrong answers."""

import re

import pytest
from sqlalchemy import desc, select

from course_lib.checks.ch06 import q1, q2, q3
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED
from course_lib.taskapi.sql_tables import TaskRow


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
        return (
            select(TaskRow.id)
            .order_by(TaskRow.created_at.desc(), TaskRow.id.desc())
            .offset((page - 1) * limit)
            .limit(limit)
        )

    def no_tiebreaker(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at.desc()).offset((page - 1) * limit).limit(limit)

    def off_by_one_page(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at.desc(), TaskRow.id).offset(page * limit).limit(limit)

    def oldest_first(page, limit):
        return select(TaskRow).order_by(TaskRow.created_at, TaskRow.id).offset((page - 1) * limit).limit(limit)

    def runs_it(page, limit):
        return [1, 2, 3]

    assert q3.evaluate(stub).status == NOT_ATTEMPTED
    assert q3.evaluate(lambda page, limit: None).status == INCORRECT  # an edited answer that returns None
    assert q3.evaluate(solution).status == CORRECT
    assert q3.evaluate(ids_descending).status == CORRECT
    assert q3.evaluate(no_tiebreaker).status == INCORRECT  # right by luck, or visibly wrong: never Correct
    skipped = q3.evaluate(off_by_one_page)
    assert skipped.status == INCORRECT and skipped.request == "page_statement(1, 10)"
    assert q3.evaluate(oldest_first).status == INCORRECT
    assert q3.evaluate(runs_it).status == INCORRECT


def _link_solution(header):
    targets = {}
    for url, params in re.findall(r"<([^>]*)>([^<]*)", header):
        rel = re.search(r'rel="?([^";,\s]+)', params)
        if rel:
            targets[rel.group(1)] = url
    return targets


def _split_comma_space(header):
    targets = {}
    for part in header.split(", "):
        if part:
            url, _, params = part.partition(">")
            rel = re.search(r'rel="?([^";,\s]+)', params)
            if rel:
                targets[rel.group(1)] = url.lstrip("<")
    return targets


def _rel_first_param(header):
    targets = {}
    for url, params in re.findall(r"<([^>]*)>([^<]*)", header):
        first = params.split(";")[1].strip() if ";" in params else ""
        if first.startswith("rel="):
            targets[first[4:].strip('",')] = url
    return targets


def _unquoted_to_end(header):
    targets = {}
    for url, params in re.findall(r"<([^>]*)>([^<]*)", header):
        rel = re.search(r"rel=(.*)", params)
        if rel:
            targets[rel.group(1).strip().strip(",").strip('"')] = url
    return targets


def _quoted_only(header):
    return {rel: url for url, rel in re.findall(r'<([^>]*)>[^<]*?rel="([^"]+)"', header)}


def _none_for_no_rel(header):
    targets = {}
    for url, params in re.findall(r"<([^>]*)>([^<]*)", header):
        rel = re.search(r'rel="?([^";,\s]+)', params)
        targets[rel.group(1) if rel else None] = url
    return targets


def _absolute_only(header):
    return {rel: url for rel, url in _link_solution(header).items() if url.startswith("http")}


def _first_two_only(header):
    return dict(list(_link_solution(header).items())[:2])


def _keeps_brackets(header):
    return {rel: f"<{url}>" for rel, url in _link_solution(header).items()}


@pytest.mark.parametrize(
    "wrong",
    [
        _split_comma_space,
        _rel_first_param,
        _unquoted_to_end,
        _quoted_only,
        _none_for_no_rel,
        _absolute_only,
        _first_two_only,
        _keeps_brackets,
    ],
)
def test_q1_wrong_parsers(wrong):
    assert q1.evaluate(wrong).status == INCORRECT


def test_q1_valid_alternative_by_splitting_on_angle_brackets():
    def by_brackets(header):
        targets = {}
        for chunk in header.split("<")[1:]:
            url, _, params = chunk.partition(">")
            for param in params.split(";"):
                name, _, value = param.strip().strip(",").strip().partition("=")
                if name.strip().lower() == "rel":
                    targets[value.strip().strip('"')] = url
        return targets

    assert q1.evaluate(by_brackets).status == CORRECT


def _walk_links(client, path):
    items, response = [], client.get(path)
    while True:
        items += response.json()
        if "next" not in response.links:
            return items
        response = client.get(response.links["next"]["url"])


def _until_short_page(client, path):
    limit = int(re.search(r"limit=(\d+)", path).group(1))
    items, page = [], 1
    while True:
        batch = client.get(f"{path}&page={page}").json()
        items += batch
        if len(batch) < limit:
            return items
        page += 1


def _page_numbers_with_total(client, path):
    first = client.get(path)
    items, pages = first.json(), -(-int(first.headers["x-total-count"]) // max(len(first.json()), 1))
    for page in range(2, pages + 1):
        items += client.get(f"{path}&page={page}").json()
    return items


def _next_then_stop_on_empty(client, path):
    items, url = [], path
    while url:
        response = client.get(url)
        if not response.json():
            return items
        items += response.json()
        url = response.links.get("next", {}).get("url", path + "&page=999")
    return items


def _skips_first_page(client, path):
    items, response = [], client.get(path)
    while "next" in response.links:
        response = client.get(response.links["next"]["url"])
        items += response.json()
    return items


def _stops_before_last(client, path):
    items, response = [], client.get(path)
    while "next" in response.links:
        items += response.json()
        response = client.get(response.links["next"]["url"])
    return items


def _sorted_by_id(client, path):
    return sorted(_walk_links(client, path), key=lambda item: item["id"])


def _dedup_set(client, path):
    seen, items = set(), []
    for item in reversed(_walk_links(client, path)):
        if item["id"] not in seen:
            seen.add(item["id"])
            items.insert(0, item)
    return items[::-1]


def _follows_last(client, path):
    items, response = [], client.get(path)
    items += response.json()
    if "last" in response.links and "next" in response.links:
        response = client.get(response.links["last"]["url"])
        items += response.json()
    return items


@pytest.mark.parametrize(
    "wrong",
    [
        _until_short_page,
        _page_numbers_with_total,
        _next_then_stop_on_empty,
        _skips_first_page,
        _stops_before_last,
        _sorted_by_id,
        _dedup_set,
        _follows_last,
    ],
)
def test_q2_wrong_walks(wrong):
    assert q2.evaluate(wrong).status == INCORRECT


def test_q2_valid_alternative_with_own_parser():
    def own_parser(client, path):
        items, url = [], path
        while url:
            response = client.get(url)
            items.extend(response.json())
            url = _link_solution(response.headers.get("link", "")).get("next")
        return items

    assert q2.evaluate(own_parser).status == CORRECT


def _page_sql(offset, limit, *order):
    return lambda page, size: select(TaskRow).order_by(*order).offset(offset(page, size)).limit(limit(page, size))


NEWEST = (TaskRow.created_at.desc(), TaskRow.id)


@pytest.mark.parametrize(
    "wrong",
    [
        _page_sql(lambda page, size: (page - 1) * 10, lambda page, size: 10, *NEWEST),
        _page_sql(lambda page, size: (page - 1) * size, lambda page, size: 10, *NEWEST),
        _page_sql(lambda page, size: (page - 1) * 10, lambda page, size: size, *NEWEST),
        _page_sql(lambda page, size: (page - 1) * size, lambda page, size: size + 1, *NEWEST),
        _page_sql(lambda page, size: (page - 1) * size + 1, lambda page, size: size, *NEWEST),
        _page_sql(lambda page, size: page * size - size - 1 if page > 1 else 0, lambda page, size: size, *NEWEST),
        _page_sql(lambda page, size: (page - 1) * size, lambda page, size: size, TaskRow.id.desc()),
        _page_sql(
            lambda page, size: (page - 1) * size, lambda page, size: size, TaskRow.created_at.desc(), TaskRow.title
        ),
        _page_sql(lambda page, size: min((page - 1) * size, 30), lambda page, size: size, *NEWEST),
    ],
)
def test_q3_wrong_statements(wrong):
    assert q3.evaluate(wrong).status == INCORRECT


@pytest.mark.parametrize(
    "valid",
    [
        lambda page, size: (
            select(TaskRow.id)
            .order_by(TaskRow.created_at.desc(), TaskRow.id.desc())
            .limit(size)
            .offset(page * size - size)
        ),
        lambda page, size: select(TaskRow).order_by(desc("created_at"), "id").slice((page - 1) * size, page * size),
    ],
)
def test_q3_valid_alternatives(valid):
    assert q3.evaluate(valid).status == CORRECT


def test_q2_a_loop_that_never_moves_on_is_stopped():
    def stuck(client, path):
        items, response = [], client.get(path)
        while True:
            items += response.json()
            if "next" not in response.links:
                return items

    result = q2.evaluate(stuck)
    assert result.status == INCORRECT and "does not move on" in result.message
