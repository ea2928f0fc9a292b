"""Turn an app's OpenAPI document into a Postman Collection v2.1 that Postman and Insomnia import.

One request per operation, in one folder per tag; path parameters become Postman path variables (`:task_id`),
JSON bodies get an example built from the schema, operations that need an API key get Postman's `apikey` auth
reading the `{{apiKey}}` variable, and every documented response status is saved as an example response.

Every request carries a test (`pm.test`) that its documented success status came back, and the collection runs top to
bottom against a fresh server (Postman's Runner, or Newman): the folder that signs users up comes first, creates come
before reads, deletes last, and a create stores the new id (from Location) and API key in collection variables that
the later requests' path variables and auth read.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Set
from pathlib import Path
from typing import Any

from course_lib.web import status_phrases

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
EXAMPLE_ID = "1"  # the value path variables start with, until a create stores a real id
KEY_FIELD = "api_key"  # the response field that hands out an API key (POST /users)
RUN_ORDER = {"get": 1, "put": 2, "patch": 3, "post": 4, "delete": 5}  # a create (POST answering 201) is 0


def collection_from_openapi(openapi: dict, base_url: str, name: str | None = None) -> dict:
    """A Postman v2.1 collection for every operation of `openapi`, sent to `base_url` ({{baseUrl}})."""
    info = openapi.get("info", {})
    title = name or info.get("title", "API")
    schemes = openapi.get("components", {}).get("securitySchemes", {})
    ids = id_variables(openapi)
    folders: dict[str, list[tuple[int, dict]]] = {}
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            if method in METHODS:
                tag = (operation.get("tags") or ["default"])[0]
                item = request_item(openapi, path, method, operation, schemes, ids)
                folders.setdefault(tag, []).append((run_rank(method, operation), item))
    signs_up_first = sorted(folders, key=lambda tag: not any(_hands_out_key(item) for _, item in folders[tag]))
    variables = [{"key": "baseUrl", "value": base_url, "type": "string"}]
    variables += [{"key": "apiKey", "value": "", "type": "string"}] if _api_key_scheme(schemes) else []
    variables += [{"key": name, "value": EXAMPLE_ID, "type": "string"} for name in sorted(set(ids.values()))]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{title} {info.get('version', '')}")),
            "name": title,
            "description": info.get("description") or f"Generated from the OpenAPI document of {title}.",
            "schema": SCHEMA_URL,
        },
        "item": [
            {"name": tag, "item": [item for _, item in sorted(folders[tag], key=lambda ranked: ranked[0])]}
            for tag in signs_up_first
        ],
        "variable": variables,
    }


def id_variables(openapi: dict) -> dict[str, str]:
    """The collection a Location points into → the path parameter naming its items: {"tasks": "task_id", ...}."""
    ids = {}
    for path in openapi.get("paths", {}):
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[1].startswith("{") and parts[1].endswith("}"):
            ids[parts[0]] = parts[1][1:-1]
    return ids


def success_status(operation: dict) -> int | None:
    """The documented success status of an operation (its lowest 2xx), or None when it documents none."""
    codes = sorted(int(status) for status in operation.get("responses", {}) if status.isdigit() and status[0] == "2")
    return codes[0] if codes else None


def run_rank(method: str, operation: dict) -> int:
    """Where an operation runs in its folder: creates first, then reads, replaces, changes, actions, deletes."""
    return 0 if method == "post" and success_status(operation) == 201 else RUN_ORDER.get(method, len(RUN_ORDER))


def status_tests(openapi: dict, operation: dict, ids: dict[str, str]) -> list[str]:
    """The Postman test of one request: its documented success status; after a create, keep the new id and key."""
    status = success_status(operation)
    if status is None:
        return []
    lines = [f'pm.test("status is {status}", function () {{ pm.response.to.have.status({status}); }});']
    if status == 201 and ids:
        lines += [
            f"const ids = {json.dumps(ids)};",
            'const location = (pm.response.headers.get("Location") || "").split("?")[0].split("/");',
            "const [collection, id] = location.filter(Boolean).slice(-2);",
            "if (ids[collection] && id) { pm.collectionVariables.set(ids[collection], id); }",
        ]
    body = _resolve(
        openapi, operation["responses"][str(status)].get("content", {}).get("application/json", {}).get("schema", {})
    )
    if KEY_FIELD in body.get("properties", {}):
        lines.append(f'pm.collectionVariables.set("apiKey", pm.response.json().{KEY_FIELD});')
    return lines


def request_item(
    openapi: dict, path: str, method: str, operation: dict, schemes: dict, ids: dict[str, str] | None = None
) -> dict:
    """One Postman item: the request, its auth, its test, and an example response per documented status."""
    parameters = operation.get("parameters", [])
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{"key": "Accept", "value": "application/json"}],
        "url": postman_url(path, parameters, set((ids or {}).values())),
        "auth": _auth(operation, schemes),
        "description": operation.get("description") or operation.get("summary", ""),
    }
    request["header"] += [
        {
            "key": p["name"],
            "value": str(_example(openapi, p.get("schema", {}))),
            "disabled": not p.get("required", False),
        }
        for p in parameters
        if p.get("in") == "header"
    ]
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body_schema is not None:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(_example(openapi, body_schema), indent=2),
            "options": {"raw": {"language": "json"}},
        }
    responses = operation.get("responses", {})
    item: dict[str, Any] = {
        "name": operation.get("summary") or f"{method.upper()} {path}",
        "request": request,
        "response": [_example_response(request, status, spec) for status, spec in responses.items()],
    }
    script = status_tests(openapi, operation, ids or {})
    if script:
        item["event"] = [{"listen": "test", "script": {"type": "text/javascript", "exec": script}}]
    return item


def _hands_out_key(item: dict) -> bool:
    return any("apiKey" in line for event in item.get("event", []) for line in event["script"]["exec"])


def postman_url(path: str, parameters: list[dict], shared: Set[str] = frozenset()) -> dict:
    """`/tasks/{task_id}` as a Postman URL: {{baseUrl}}/tasks/:task_id with a path variable.

    A parameter named in `shared` reads the collection variable of that name ({{task_id}}), which creates set.
    """
    segments = [f":{part[1:-1]}" if part.startswith("{") else part for part in path.strip("/").split("/") if part]
    url: dict[str, Any] = {"raw": "{{baseUrl}}/" + "/".join(segments), "host": ["{{baseUrl}}"], "path": segments}
    variables = [
        {
            "key": p["name"],
            "value": f"{{{{{p['name']}}}}}" if p["name"] in shared else EXAMPLE_ID,
            "description": p.get("description", ""),
        }
        for p in parameters
        if p.get("in") == "path"
    ]
    query = [
        {"key": p["name"], "value": "", "disabled": not p.get("required", False)}
        for p in parameters
        if p.get("in") == "query"
    ]
    if variables:
        url["variable"] = variables
    if query:
        url["query"] = query
    return url


def collection_from_contract(cases: list, base_url: str, name: str = "Contract") -> dict:
    """A Postman collection of contract rows (lab.contract.Case), in order: each request tests the status it must get.

    `{ada}` in a path becomes the collection variable `{{ada}}`, which the row that `save`s it sets from its answer.
    """
    items = [contract_item(case) for case in cases]
    saved = sorted({variable for case in cases for variable in case.save})
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name} contract")),
            "name": name,
            "description": "Each request and the status it must get, run in order.",
            "schema": SCHEMA_URL,
        },
        "item": items,
        "variable": [{"key": "baseUrl", "value": base_url, "type": "string"}]
        + [{"key": variable, "value": "", "type": "string"} for variable in saved],
    }


def contract_item(case) -> dict:
    """One contract row as a Postman item: the request, and tests of its status, headers and saved values."""
    path = _variables(case.path)
    headers = [{"key": key, "value": _variables(value)} for key, value in case.headers.items()]
    if case.key is not None:
        headers.append({"key": "X-API-Key", "value": f"{{{{{case.key}}}}}"})
    request: dict[str, Any] = {
        "method": case.method,
        "header": headers,
        "url": {
            "raw": "{{baseUrl}}" + path,
            "host": ["{{baseUrl}}"],
            "path": [part for part in path.split("/") if part],
        },
    }
    if case.json is not None:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {"mode": "raw", "raw": json.dumps(case.json), "options": {"raw": {"language": "json"}}}
    script = [f'pm.test("status is {case.expect}", function () {{ pm.response.to.have.status({case.expect}); }});']
    script += [
        f'pm.test("has {header}", function () {{ pm.response.to.have.header("{header}"); }});'
        for header in case.must_have
    ]
    script += [
        f'pm.collectionVariables.set("{variable}", pm.response.json().{field});'
        for variable, field in case.save.items()
    ]
    return {
        "name": case.name,
        "request": request,
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": script}}],
    }


def _variables(text: str) -> str:
    """`/tasks/{task}` → `/tasks/{{task}}`: a contract placeholder as a Postman variable."""
    return re.sub(r"\{(\w+)\}", r"{{\1}}", text)


def save_collection(collection: dict, path: str | Path) -> Path:
    """Write the collection as JSON (Postman: Import → File; Insomnia: Import → From File)."""
    path = Path(path)
    path.write_text(json.dumps(collection, indent=2, ensure_ascii=False) + "\n")
    return path


def _api_key_scheme(schemes: dict) -> tuple[str, dict] | None:
    return next(
        (
            (name, scheme)
            for name, scheme in schemes.items()
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header"
        ),
        None,
    )


def _auth(operation: dict, schemes: dict) -> dict:
    wanted = {name for requirement in operation.get("security", []) for name in requirement}
    found = _api_key_scheme({name: scheme for name, scheme in schemes.items() if name in wanted})
    if found is None:
        return {"type": "noauth"}
    return {
        "type": "apikey",
        "apikey": [
            {"key": "key", "value": found[1]["name"], "type": "string"},
            {"key": "value", "value": "{{apiKey}}", "type": "string"},
            {"key": "in", "value": "header", "type": "string"},
        ],
    }


def _example_response(request: dict, status: str, spec: dict) -> dict:
    code = int(status) if status.isdigit() else 0
    phrase = status_phrases.phrase(code) or status
    return {
        "name": f"{status} {spec.get('description', phrase)}",
        "originalRequest": request,
        "code": code,
        "status": phrase,
        "header": [],
        "body": "",
    }


def _resolve(openapi: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node: Any = openapi
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _example(openapi: dict, schema: dict, depth: int = 0) -> Any:
    """A plausible value for `schema`: its example or default if it has one, else a placeholder of its type."""
    schema = _resolve(openapi, schema)
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        usable = [choice for choice in choices if _resolve(openapi, choice).get("type") != "null"]
        return _example(openapi, (usable or choices)[0], depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 5:
            return {}
        return {name: _example(openapi, prop, depth + 1) for name, prop in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(openapi, schema.get("items", {}), depth + 1)]
    placeholders = {"integer": 1, "number": 1.0, "boolean": False, "null": None}
    if kind in placeholders:
        return placeholders[kind]
    return {"email": "user@example.org", "date-time": "2026-01-01T00:00:00Z", "uuid": str(uuid.UUID(int=0))}.get(
        schema.get("format", ""), "string"
    )
