"""Page parameters, the sort whitelist and RFC 8288 Link headers, on a tiny app of their own."""

from fastapi import FastAPI, Request, Response
from starlette.datastructures import URL

from course_lib.notebook.server import serving
from course_lib.web.pagination import (
    MAX_LIMIT,
    Page,
    PageDep,
    last_page,
    link_header,
    page_links,
    pagination_headers,
    parse_sort,
)

ALLOWED = ("created_at", "title", "id")


def test_offset_counts_the_rows_before_the_page():
    assert Page().offset == 0 and Page(page=3, limit=20).offset == 40


def test_last_page_rounds_up_and_is_never_zero():
    assert [last_page(total, 20) for total in (0, 1, 20, 21, 100)] == [1, 1, 1, 2, 5]


def test_sort_keys_are_split_and_checked():
    assert parse_sort("-created_at", ALLOWED) == ("-created_at",)
    assert parse_sort("title, -id", ALLOWED) == ("title", "-id")


def _sort_error(value: str) -> str:
    from fastapi.exceptions import RequestValidationError

    try:
        parse_sort(value, ALLOWED)
    except RequestValidationError as error:
        (detail,) = error.errors()
        assert detail["loc"] == ("query", "sort") and detail["input"] == value
        return detail["msg"]
    raise AssertionError(f"{value!r} was accepted")


def test_unknown_empty_and_repeated_sort_keys_are_rejected_with_the_allowed_ones():
    assert _sort_error("password_hash").startswith("unknown sort key 'password_hash'; sort by one of: created_at")
    assert _sort_error("title,").startswith("an empty sort key")
    assert _sort_error("title,-title") == "sort key 'title' given twice"


def test_links_keep_the_query_and_change_only_page_and_limit():
    url = URL("http://api.test/tasks?done=false&sort=title&page=2&limit=10")
    links = page_links(url, Page(page=2, limit=10), total=35)
    assert list(links) == ["first", "prev", "next", "last"]
    assert str(links["next"]) == "http://api.test/tasks?done=false&sort=title&page=3&limit=10"
    assert str(links["last"]).endswith("page=4&limit=10") and str(links["first"]).endswith("page=1&limit=10")


def test_first_and_last_pages_have_no_prev_or_next():
    url = URL("http://api.test/tasks")
    assert list(page_links(url, Page(1, 20), total=50)) == ["first", "next", "last"]
    assert list(page_links(url, Page(3, 20), total=50)) == ["first", "prev", "last"]
    assert list(page_links(url, Page(1, 20), total=0)) == ["first", "last"]


def test_past_the_end_prev_points_at_the_last_page():
    links = page_links(URL("http://api.test/tasks"), Page(9, 20), total=50)
    assert list(links) == ["first", "prev", "last"] and str(links["prev"]).endswith("page=3&limit=20")


def test_link_header_follows_rfc_8288():
    assert link_header({"next": "http://a/t?page=2", "last": "http://a/t?page=5"}) == (
        '<http://a/t?page=2>; rel="next", <http://a/t?page=5>; rel="last"'
    )
    headers = pagination_headers(URL("http://a/t"), Page(1, 20), total=21)
    assert headers["X-Total-Count"] == "21" and 'rel="next"' in headers["Link"]


def test_link_urls_are_relative_so_a_forged_host_never_reaches_them():
    headers = pagination_headers(URL("http://evil.example/tasks?done=false"), Page(2, 10), total=35)
    assert "evil.example" not in headers["Link"] and headers["Link"].startswith(
        '</tasks?done=false&page=1&limit=10>; rel="first", </tasks?done=false&page=1&limit=10>; rel="prev"'
    )


def test_a_served_list_answers_a_spoofed_host_with_relative_links():
    app = FastAPI()

    @app.get("/items")
    def items(page: PageDep, request: Request, response: Response) -> list:
        response.headers.update(pagination_headers(request.url, page, total=50))
        return []

    with serving(app) as client:
        link = client.get("/items?limit=10", headers={"Host": "evil.example"}).headers["link"]
        assert "evil.example" not in link and '</items?page=2&limit=10>; rel="next"' in link


def test_page_parameters_are_bounded():
    app = FastAPI()

    @app.get("/items")
    def items(page: PageDep, request: Request, response: Response) -> dict:
        return {"page": page.page, "limit": page.limit}

    with serving(app) as client:
        assert client.get("/items").json() == {"page": 1, "limit": 20}
        assert client.get(f"/items?page=4&limit={MAX_LIMIT}").json() == {"page": 4, "limit": MAX_LIMIT}
        for bad in ("limit=0", f"limit={MAX_LIMIT + 1}", "limit=-5", "page=0", "page=-1", "page=x", "limit=1.5"):
            assert client.get(f"/items?{bad}").status_code == 422, bad


def test_links_keep_parameters_by_alias_and_validation_alias_and_drop_the_rest():
    from typing import Annotated

    from fastapi import Depends, FastAPI, Query, Request
    from fastapi.testclient import TestClient
    from pydantic import AliasChoices

    from course_lib.web.pagination import declared_url

    app = FastAPI()

    def sort_of(sort: str = "") -> str:  # a dependency's query parameters count too
        return sort

    @app.get("/a")
    def listed(
        request: Request,
        size: Annotated[int, Query(alias="page-size")] = 1,
        text: Annotated[str, Query(validation_alias=AliasChoices("t", "q"))] = "",
        sort: Annotated[str, Depends(sort_of)] = "",
    ) -> str:
        return str(declared_url(request))

    kept = TestClient(app).get("/a?page-size=3&t=x&q=y&junk=1&sort=id").json()
    assert kept.endswith("/a?page-size=3&t=x&q=y&sort=id"), kept
    routeless = Request({"type": "http", "method": "GET", "path": "/b", "query_string": b"x=1", "headers": []})
    assert str(declared_url(routeless)).endswith("/b?x=1")  # no route to ask: the URL as it came
