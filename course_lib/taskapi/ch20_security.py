"""Chapter 20 — security: rate limits, CORS, security headers and redacted logs around the API of earlier chapters.

Three middleware, outermost first (each added later wraps the ones before, so they are added innermost first):
- SecurityHeadersMiddleware: nosniff, no framing, a Content-Security-Policy, no Referer, HSTS on every answer;
- StrictCORSMiddleware: cross-origin requests from `allowed_origins` only (chapter 09's list), credentials for them
  only; a preflight is answered here, before any limit counts it;
- RateLimitMiddleware: every request counted per client address (RATE_LIMIT), failed logins per account from one
  address (LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS), per account (LOGIN_LIMIT_PER_ACCOUNT, a higher ceiling) and per
  address (LOGIN_LIMIT_PER_ADDRESS); over a limit, 429 + Retry-After + RateLimit / RateLimit-Policy.
Counters live in the app's Redis, so replicas share them. Log records of the server and the API are redacted, and
every operation documents its 429.
"""

from __future__ import annotations

import uuid

from fastapi.routing import APIRoute

from course_lib.services.cache import redis_client
from course_lib.services.cache_aside import FAIL_FAST
from course_lib.services.settings import Settings
from course_lib.taskapi import ch17_background_jobs
from course_lib.taskapi.build import build_app
from course_lib.taskapi.chapter import Chapter
from course_lib.taskapi.context import TaskAPI
from course_lib.taskapi.seams import Seams
from course_lib.web.cors import StrictCORSMiddleware
from course_lib.web.openapi_responses import document_responses, edit_openapi, operations
from course_lib.web.rate_limits import DRAFT, Policy, RateLimitMiddleware, RateLimits
from course_lib.web.redaction import install_redaction
from course_lib.web.security_headers import SecurityHeadersMiddleware

KEY_PREFIX = "ratelimit"
LOGGERS = ("uvicorn.error", "uvicorn.access", "course_lib", "course_lib.taskapi", "course_lib.web.rate_limits")


def policies(settings: Settings) -> dict[str, Policy]:
    """The four quotas, named as the RateLimit fields name them."""
    return {
        "requests": Policy.parse("requests", settings.rate_limit),
        "logins_per_pair": Policy.parse("failed-logins-account-address", settings.login_limit_per_account_and_address),
        "logins_per_account": Policy.parse("failed-logins-account", settings.login_limit_per_account),
        "logins_per_address": Policy.parse("failed-logins-address", settings.login_limit_per_address),
    }


def extend(app: TaskAPI, seams: Seams) -> None:
    """Limits, CORS and security headers around every route; redacted logs; every 429 documented."""
    settings = app.context.settings
    redis = redis_client(settings, **FAIL_FAST)  # a Redis that is down costs a request 0.25 s at most, not retries
    # Replicas of one deployment share their counters; an app of its own (a test, a notebook) counts alone.
    prefix = KEY_PREFIX if not settings.isolate_database else f"{KEY_PREFIX}:{uuid.uuid4().hex}"
    limits = app.context.rate_limits = RateLimits(redis, prefix)
    app.context.at_stop(limits.clear)
    quota = policies(settings)
    app.add_middleware(
        RateLimitMiddleware,
        limits=limits,
        requests=quota["requests"],
        logins_per_account=quota["logins_per_account"],
        logins_per_address=quota["logins_per_address"],
        logins_per_pair=quota["logins_per_pair"],
    )
    app.add_middleware(StrictCORSMiddleware, allowed_origins=settings.allowed_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    install_redaction(*LOGGERS)
    document_responses(app, rate_limited)
    edit_openapi(app, rate_limit_headers)


TOO_MANY = f"Too many requests from this client, or failed logins ({DRAFT} fields say which quota and when it resets)"


def rate_limited(path: str, route: APIRoute) -> dict[int, str]:
    """429 for every operation: every request counts against the client's quota."""
    return {429: TOO_MANY}


FIELDS = {
    "Retry-After": {"description": "Seconds until the quota resets.", "schema": {"type": "integer", "minimum": 1}},
    "RateLimit-Policy": {
        "description": f'The quota that refused, {DRAFT}: "name";q=<units>;w=<window seconds>.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": f'What is left of it, {DRAFT}: "name";r=<remaining>;t=<seconds until it resets>.',
        "schema": {"type": "string"},
    },
}


def rate_limit_headers(schema: dict) -> None:
    """Each 429 names its fields."""
    for operation in operations(schema):
        answer = operation.get("responses", {}).get("429")
        if answer is not None and answer.get("description") == TOO_MANY:
            answer.setdefault("headers", FIELDS)


CHAPTER = Chapter(__name__, previous=ch17_background_jobs.CHAPTER, extend=extend)


def create_app(settings: Settings | None = None) -> TaskAPI:
    """Chapter 17's API behind rate limits, a strict CORS policy and security headers, logging nothing secret."""
    return build_app(CHAPTER, settings)
