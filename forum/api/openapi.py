"""The OpenAPI 3.1 document of /api/v1, built from the routes as they are registered.

Each API view is registered through ``operation``, which adds the route to the blueprint and
records its method, parameters, body schema and responses. The document is made from those
records and from the schemas the views serialise with, so it describes what the code does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forum.api.schemas import BODIES, MAX_ID, SCHEMAS, ErrorSchema

PREFIX = "/api/v1"
# Larger numbers in a path than an id can be match no route (404).
ID = f"int(max={MAX_ID})"
_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

CURSOR = {
    "name": "cursor",
    "in": "query",
    "required": False,
    "description": "The next_cursor of the previous page.",
    "schema": {"type": "string"},
}

ERROR_DESCRIPTIONS = {
    400: "The request is malformed (not JSON, a bad cursor or query parameter).",
    401: "Not signed in, or the token is unknown or revoked.",
    403: "Signed in but not allowed (a read-only token writing, no CSRF header, a rule).",
    404: "Nothing at this address, or nothing the caller may see.",
    409: "Already done (the same post a moment ago).",
    413: "The request body is too large.",
    422: "The body does not fit its schema, or a rule refused it; see error.fields.",
    429: "Too many requests; Retry-After says how many seconds to wait.",
}


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    response: dict | None  # the JSON Schema of a success, None for no content
    status: int = 200
    body: str | None = None  # a name in schemas.BODIES
    query: list[dict] = field(default_factory=list)
    auth_required: bool = False
    errors: tuple[int, ...] = ()
    tag: str = ""

    @property
    def path(self) -> str:
        return PREFIX + _VARIABLE.sub(r"{\2}", self.rule)

    def path_parameters(self) -> list[dict]:
        parameters = []
        for converter, name in _VARIABLE.findall(self.rule):
            schema = (
                {"type": "integer", "minimum": 0, "maximum": MAX_ID}
                if converter == "int"
                else {"type": "string", "pattern": "^[^/]+$"}
            )
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return parameters


OPERATIONS: list[Operation] = []


def _error(status: int) -> dict:
    response = {
        "description": ERROR_DESCRIPTIONS.get(status, "An error."),
        "content": {"application/json": {"schema": ErrorSchema.ref}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer"},
                "required": True,
            }
        }
    return response


def _operation(op: Operation) -> dict:
    success: dict = {"description": op.summary}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": op.response}}
    responses = {str(op.status): success}
    codes = {*op.errors, 404, 429}
    if op.auth_required or op.method != "get":
        codes |= {401, 403}
    if op.body:
        codes |= {400, 413, 422}
    if op.query:
        codes |= {400}
    for status in sorted(codes):
        responses[str(status)] = _error(status)
    responses["default"] = {
        "description": "Any other error, in the same shape.",
        "content": {"application/json": {"schema": ErrorSchema.ref}},
    }
    security = [{"bearerAuth": []}, {"cookieAuth": []}]
    document = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "tags": [op.tag] if op.tag else [],
        "parameters": [*op.path_parameters(), *op.query],
        "responses": responses,
        "security": security if op.auth_required else [{}, *security],
    }
    if op.body:
        document["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{op.body}"}}
            },
        }
    return document


def document(server_url: str) -> dict:
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    schemas = {name: schema.json_schema() for name, schema in SCHEMAS.items()}
    schemas.update(BODIES)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Forum API",
            "version": "1",
            "description": (
                "Articles, their threaded discussions, groups and their sessions, search and "
                "notifications. Scripts sign in with a personal token (Authorization: Bearer, "
                "made in Settings → API tokens; a read token cannot write). A browser signed in "
                "by cookie sends its CSRF token as X-CSRFToken with every write (GET /me gives "
                "it). Lists are paged with opaque cursors; errors are JSON objects."
            ),
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
        },
    }
