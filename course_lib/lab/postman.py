"""Turn an app's OpenAPI document into a Postman Collection v2.1 that Postman and Insomnia import.

One request per operation, in one folder per tag; path parameters become Postman path variables (`:task_id`),
JSON bodies get an example built from the schema, operations that need an API key get Postman's `apikey` auth
reading the `{{apiKey}}` variable, and every documented response status is saved as an example response.
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from pathlib import Path
from typing import Any

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
EXAMPLE_ID = "1"  # the value path variables start with; edit it in Postman


def collection_from_openapi(openapi: dict, base_url: str, name: str | None = None) -> dict:
    """A Postman v2.1 collection for every operation of `openapi`, sent to `base_url` ({{baseUrl}})."""
    info = openapi.get("info", {})
    title = name or info.get("title", "API")
    schemes = openapi.get("components", {}).get("securitySchemes", {})
    folders: dict[str, list[dict]] = {}
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            if method in METHODS:
                tag = (operation.get("tags") or ["default"])[0]
                folders.setdefault(tag, []).append(request_item(openapi, path, method, operation, schemes))
    variables = [{"key": "baseUrl", "value": base_url, "type": "string"}]
    variables += [{"key": "apiKey", "value": "", "type": "string"}] if _api_key_scheme(schemes) else []
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{title} {info.get('version', '')}")),
            "name": title,
            "description": info.get("description") or f"Generated from the OpenAPI document of {title}.",
            "schema": SCHEMA_URL,
        },
        "item": [{"name": tag, "item": items} for tag, items in folders.items()],
        "variable": variables,
    }


def request_item(openapi: dict, path: str, method: str, operation: dict, schemes: dict) -> dict:
    """One Postman item: the request, its auth, and an example response per documented status."""
    parameters = operation.get("parameters", [])
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{"key": "Accept", "value": "application/json"}],
        "url": postman_url(path, parameters),
        "auth": _auth(operation, schemes),
        "description": operation.get("description") or operation.get("summary", ""),
    }
    request["header"] += [{"key": p["name"], "value": str(_example(openapi, p.get("schema", {}))), "disabled":
                           not p.get("required", False)} for p in parameters if p.get("in") == "header"]
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body_schema is not None:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {"mode": "raw", "raw": json.dumps(_example(openapi, body_schema), indent=2),
                           "options": {"raw": {"language": "json"}}}
    responses = operation.get("responses", {})
    return {
        "name": operation.get("summary") or f"{method.upper()} {path}",
        "request": request,
        "response": [_example_response(request, status, spec) for status, spec in responses.items()],
    }


def postman_url(path: str, parameters: list[dict]) -> dict:
    """`/tasks/{task_id}` as a Postman URL: {{baseUrl}}/tasks/:task_id with a path variable."""
    segments = [f":{part[1:-1]}" if part.startswith("{") else part for part in path.strip("/").split("/") if part]
    url: dict[str, Any] = {"raw": "{{baseUrl}}/" + "/".join(segments), "host": ["{{baseUrl}}"], "path": segments}
    variables = [{"key": p["name"], "value": EXAMPLE_ID, "description": p.get("description", "")}
                 for p in parameters if p.get("in") == "path"]
    query = [{"key": p["name"], "value": "", "disabled": not p.get("required", False)}
             for p in parameters if p.get("in") == "query"]
    if variables:
        url["variable"] = variables
    if query:
        url["query"] = query
    return url


def save_collection(collection: dict, path: str | Path) -> Path:
    """Write the collection as JSON (Postman: Import → File; Insomnia: Import → From File)."""
    path = Path(path)
    path.write_text(json.dumps(collection, indent=2, ensure_ascii=False) + "\n")
    return path


def _api_key_scheme(schemes: dict) -> tuple[str, dict] | None:
    return next(((name, scheme) for name, scheme in schemes.items()
                 if scheme.get("type") == "apiKey" and scheme.get("in") == "header"), None)


def _auth(operation: dict, schemes: dict) -> dict:
    wanted = {name for requirement in operation.get("security", []) for name in requirement}
    found = _api_key_scheme({name: scheme for name, scheme in schemes.items() if name in wanted})
    if found is None:
        return {"type": "noauth"}
    return {"type": "apikey", "apikey": [{"key": "key", "value": found[1]["name"], "type": "string"},
                                         {"key": "value", "value": "{{apiKey}}", "type": "string"},
                                         {"key": "in", "value": "header", "type": "string"}]}


def _example_response(request: dict, status: str, spec: dict) -> dict:
    code = int(status) if status.isdigit() else 0
    phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else status
    return {"name": f"{status} {spec.get('description', phrase)}", "originalRequest": request,
            "code": code, "status": phrase, "header": [], "body": ""}


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
        schema.get("format", ""), "string")
