"""Offset pagination for list endpoints: bounded page parameters, a sort whitelist, RFC 8288 Link headers."""
# No `from __future__ import annotations` here: sort_dependency builds its Query annotation at run time.

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import URL

DEFAULT_LIMIT = 20
MAX_LIMIT = 100  # one request never asks the database for more rows than this
DEFAULT_SORT = "-created_at"
TOTAL_COUNT_HEADER = "X-Total-Count"


@dataclass(frozen=True)
class Page:
    """Which slice of a list a client asked for: page numbers start at 1."""

    page: int = 1
    limit: int = DEFAULT_LIMIT

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.limit


def page_params(
    page: Annotated[int, Query(ge=1, description="Page number, from 1.")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1..{MAX_LIMIT}.")] = DEFAULT_LIMIT,
) -> Page:
    """?page=&limit= with their bounds; FastAPI answers 422 outside them."""
    return Page(page, limit)


PageDep = Annotated[Page, Depends(page_params)]


def parse_sort(value: str, allowed: Collection[str]) -> tuple[str, ...]:
    """'-created_at,title' → ('-created_at', 'title'); a key outside `allowed` is a 422 that names the allowed ones."""
    keys = tuple(key.strip(" ") for key in value.split(","))
    seen: set[str] = set()
    for key in keys:
        name = key.removeprefix("-")
        if name not in allowed:
            problem = "an empty sort key" if not name else f"unknown sort key {name!r}"
            _reject(value, f"{problem}; sort by one of: {', '.join(allowed)} (prefix '-' for descending)")
        if name in seen:
            _reject(value, f"sort key {name!r} given twice")
        seen.add(name)
    return keys


def _reject(value: str, message: str) -> None:
    # A validation error like FastAPI's own, so every error format installed on the app (422 bodies, RFC 9457) fits.
    raise RequestValidationError([{"type": "sort_key", "loc": ("query", "sort"), "msg": message, "input": value}])


def sort_pattern(allowed: Collection[str]) -> str:
    """What parse_sort accepts, as a regex for the OpenAPI: keys of `allowed`, optional "-", comma-separated, once each.

    `$(?!\\n)` ends the text in Python (whose `$` also matches before a final newline) and ECMA-262 alike.
    """
    key = " *-?(?:" + "|".join(map(re.escape, allowed)) + ") *"  # spaces around a key are allowed, nothing else
    return rf"^(?!.*\b(\w+)\b.*\b\1\b){key}(?:,{key})*$(?!\n)"


def sort_dependency(allowed: Collection[str], default: str = DEFAULT_SORT):
    """A dependency reading ?sort= and checking it against the whitelist `allowed`."""

    async def sort_params(
        sort: Annotated[
            str,
            Query(
                description=f"Comma-separated keys of: {', '.join(allowed)}; '-' for descending.",
                json_schema_extra={"pattern": sort_pattern(allowed)},
            ),
        ] = default,
    ) -> tuple[str, ...]:
        return parse_sort(sort, allowed)

    return sort_params


def last_page(total: int, limit: int) -> int:
    """The number of the last page; an empty list still has page 1."""
    return max(1, -(-total // limit))


def declared_url(request: Request) -> URL:
    """The request's URL with only the query parameters its route declares: links repeat the filters and the sort,
    never what else a client appended (a 47 KB query would come back in the Link header three times over)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return request.url
    declared = query_names(dependant)
    return request.url.replace(
        query=urlencode([item for item in request.query_params.multi_items() if item[0] in declared])
    )


def query_names(dependant) -> set[str]:
    """The names a FastAPI dependant reads from the query string, its dependencies' included: each parameter's alias
    and any validation_alias it accepts (a query model's members are not listed: build such a route's links itself)."""
    names: set[str] = set()
    for parameter in dependant.query_params:
        names.add(parameter.alias)
        accepted = parameter.field_info.validation_alias
        choices = getattr(accepted, "choices", [accepted])  # AliasChoices, or one name
        names |= {choice for choice in choices if isinstance(choice, str)}
    for dependency in dependant.dependencies:
        names |= query_names(dependency)
    return names


def page_links(url: URL, page: Page, total: int) -> dict[str, URL]:
    """first, prev, next and last page URLs: `url` with only page and limit changed, so filters and sort carry over."""
    last = last_page(total, page.limit)
    targets = {"first": 1}
    if page.page > 1:
        targets["prev"] = min(page.page - 1, last)
    if page.page < last:
        targets["next"] = page.page + 1
    targets["last"] = last
    return {rel: url.include_query_params(page=number, limit=page.limit) for rel, number in targets.items()}


def relative(url: URL) -> str:
    """`url` as a relative reference (path and query): the Host a client sent never reaches what the API answers."""
    return url.path + (f"?{url.query}" if url.query else "")


def link_header(links: Mapping[str, URL | str]) -> str:
    """An RFC 8288 Link header value: </tasks?page=2>; rel="next", ... (URLs become relative references, §3.1)."""
    return ", ".join(
        f'<{relative(target) if isinstance(target, URL) else target}>; rel="{rel}"' for rel, target in links.items()
    )


def pagination_headers(url: URL, page: Page, total: int) -> dict[str, str]:
    """The headers a page of a list carries: the total count and the Link header."""
    return {TOTAL_COUNT_HEADER: str(total), "Link": link_header(page_links(url, page, total))}
