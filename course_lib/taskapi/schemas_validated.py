"""Chapter 08's wire models: chapter 07's strict family plus the rules each field must keep.

- field rules: lengths (title 1..200, description up to 2000, name 1..100), formats (email), ranges (password 15..128),
  and types kept exactly (done is true or false, never 0 or "yes");
- a custom validator: a title or name of whitespace only is refused, and text is stored without surrounding spaces;
- a cross-field rule: a password may not contain the user's name or the local part of the email;
- a blocklist (NIST SP 800-63B-4): no well-known or patterned password (web/password_rules.py).

The OpenAPI states each rule the server keeps (a pattern for "more than whitespace", the email addresses accepted),
so a client, or a tool that generates requests from the document, can tell a valid body from an invalid one.
"""

from __future__ import annotations

import re
from typing import Annotated

import idna
from pydantic import (
    AfterValidator,
    Field,
    Secret,
    StrictBool,
    field_validator,
    model_validator,
)

from course_lib.taskapi import schemas
from course_lib.taskapi.schemas import NO_NUL
from course_lib.taskapi.schemas_strict import TaskCreate as StrictTaskCreate
from course_lib.taskapi.schemas_strict import TaskPublic, UserCreated, UserPublic
from course_lib.taskapi.schemas_strict import TaskUpdate as StrictTaskUpdate
from course_lib.taskapi.schemas_strict import UserCreate as StrictUserCreate
from course_lib.web.password_rules import blocklist_reason

MAX_TITLE, MAX_DESCRIPTION, MAX_NAME = 200, 2000, 100


def has_text(value: str) -> str:
    """`value` without surrounding whitespace; a ValueError when nothing else is left."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("must contain more than whitespace")
    return stripped


MAX_EMAIL = 254  # RFC 5321's limit on a path, which email-validator enforces
SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")  # RFC 6761 domains no mail goes to


def any_case(word: str) -> str:
    """A regex matching `word` in any letter case, written without flags so JSON Schema (ECMA-262) reads it too."""
    return "".join(f"[{char}{char.upper()}]" if char.isalpha() else re.escape(char) for char in word)


# What the API accepts as an email address: what its OpenAPI states, `format: email` and this pattern together (a
# value must keep both), and nothing else. At most 254 characters; a dot-atom local part of at most 64 of RFC 5322's
# atext (letters, digits and ! # $ % & ' * + / = ? ^ _ ` { | } ~ -, so o'brien@… is an address); domain labels of
# letters and digits (single hyphens inside, at most 63), or IDNA A-labels (xn--…, the prefix in lower case); a
# top-level domain of letters or an A-label, not special-use. ASCII only, as `format: email` (RFC 5321) is: an
# internationalized domain is sent as its A-labels (ada@xn--bcher-kva.de, what a client's IDNA library writes for
# bücher.de). No regular expression can check punycode, so that part of the rule is the format's: an A-label must
# decode (xn--b.org is no domain), as JSON Schema validators of `format: email` check too. A local part outside ASCII
# (SMTPUTF8) is refused: not every mail server can carry it. Only negative lookaheads, which request generators
# handle; `$(?!\n)` is the end of the text in Python (whose `$` also matches before a final newline) and in ECMA-262.
ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
LABEL = r"(?![A-Za-z0-9-]{64})(?:xn--)?[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
TOP_LEVEL = r"(?:[A-Za-z]{2,63}|(?![A-Za-z0-9-]{64})xn--[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)"
EMAIL_PATTERN = (
    rf"^(?!.{{{MAX_EMAIL + 1}}})(?![^@]{{65}}){ATEXT}+(?:\.{ATEXT}+)*@(?:{LABEL}\.)+"
    rf"(?!(?:{'|'.join(map(any_case, SPECIAL_USE))})$){TOP_LEVEL}$(?!\n)"
)
# What str.strip() removes (the characters of str.isspace), spelled out for the OpenAPI: ECMA-262's \S means another
# set (its \s has U+FEFF and lacks U+001C–U+001F and U+0085), so a client would accept titles the server refuses.
SPACES = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
HAS_TEXT = rf"[^{SPACES}]"  # somewhere a character that is not whitespace: what has_text checks
TEXT_WITHOUT_NUL = rf"^[^\x00]*[^{SPACES}\x00][^\x00]*$"  # HAS_TEXT and NO_NUL in one pattern, as JSON Schema has one


def no_nul(value: str) -> str:
    """`value` unless it holds the NUL character, which PostgreSQL cannot store in text."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000)")
    return value


def plain_address(value: str) -> str:
    """An email address within EMAIL_PATTERN whose A-labels decode, its domain in lower case (domains have no case);
    ValueError otherwise."""
    if not re.search(EMAIL_PATTERN, value):
        raise ValueError(
            "an email address like name@example.org: before the @ letters, digits and "
            "! # $ % & ' * + / = ? ^ _ ` { | } ~ - in dot-separated parts; after it a domain in ASCII "
            "(an internationalized one as its xn-- A-labels)"
        )
    local, _, domain = value.rpartition("@")
    for label in domain.split("."):
        if label.startswith("xn--"):
            try:
                idna.decode(label.lower())
            except (idna.IDNAError, UnicodeError):
                raise ValueError(f"{label} is not an IDNA A-label: no internationalized domain is written so") from None
    return f"{local}@{domain.lower()}"


Title = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TITLE, json_schema_extra={"pattern": TEXT_WITHOUT_NUL}),
    AfterValidator(no_nul),
    AfterValidator(has_text),
]
Description = Annotated[
    str, Field(max_length=MAX_DESCRIPTION, json_schema_extra={"pattern": NO_NUL}), AfterValidator(no_nul)
]
Name = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME, json_schema_extra={"pattern": TEXT_WITHOUT_NUL}),
    AfterValidator(no_nul),
    AfterValidator(has_text),
]
Email = Annotated[
    str, AfterValidator(plain_address), Field(json_schema_extra={"format": "email", "pattern": EMAIL_PATTERN})
]


class TaskCreate(StrictTaskCreate):
    """POST /tasks: a title with text in it (1..200 characters), a description of up to 2000."""

    title: Title
    description: Description = ""
    done: StrictBool = False


class TaskReplace(TaskCreate):
    """PUT /tasks/{id}: the same rules as creating."""


class TaskUpdate(StrictTaskUpdate):
    """PATCH /tasks/{id}: the same rules, for the fields sent."""

    title: Title | None = schemas.omittable()
    description: Description | None = schemas.omittable()
    done: StrictBool | None = schemas.omittable()


class UserCreate(StrictUserCreate):
    """POST /users: a name, a valid email address, and a password that contains neither and is not a common one."""

    name: Name
    email: Email

    @field_validator("password")
    @classmethod
    def password_is_not_common(cls, password: Secret[str]) -> Secret[str]:
        """NIST SP 800-63B-4 §3.1.1.2: refuse what an attacker's dictionary tries first."""
        why = blocklist_reason(password.get_secret_value())
        if why is not None:
            raise ValueError(f"choose another password: {why}, so it is among the first an attacker tries")
        return password

    @model_validator(mode="after")
    def password_is_not_personal(self) -> UserCreate:
        """The cross-field rule: it needs name, email and password at once, so it runs after the fields."""
        if is_personal(self.password.get_secret_value(), self.name, self.email):
            raise ValueError("password must not contain your name or the first part of your email")
        return self


def is_personal(password: str, name: str, email: str) -> bool:
    """True when `password` contains `name` or the part of `email` before the @ (parts of 3 characters or more)."""
    personal = {name.lower(), email.split("@")[0].lower()}
    return any(len(part) >= 3 and part in password.lower() for part in personal)


TASK_MODELS = schemas.TaskModels(create=TaskCreate, replace=TaskReplace, update=TaskUpdate, public=TaskPublic)
USER_MODELS = schemas.UserModels(create=UserCreate, public=UserPublic, created=UserCreated)
