"""Every error under /api is a JSON object, never an HTML page.

Errors raised in the API's views reach the blueprint's handlers. Addresses under /api that
match no route (404) or no method of a route (405) never reach a blueprint, so the app-level
handlers for those two answer in JSON there and leave every other page to the site's handler.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound

from forum.extensions import db

PREFIX = "/api/"

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}

MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in: send an API token (Authorization: Bearer …) or a session cookie.",
    403: "You may not do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request body is larger than this site accepts.",
    429: "Too many requests: wait for the time given in Retry-After, then try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


def is_api_request() -> bool:
    return request.path == PREFIX.rstrip("/") or request.path.startswith(PREFIX)


def error_response(
    status: int,
    message: str | None = None,
    code: str | None = None,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
):
    db.session.rollback()
    body = {
        "error": {
            "status": status,
            "code": code or CODES.get(status, "error"),
            "message": message or MESSAGES.get(status, "The request failed."),
            "fields": fields or {},
        }
    }
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error(error: HTTPException):
    status = error.code or 500
    if status < 400:
        return error
    # Our own messages are meant for people; werkzeug's defaults give way to ours.
    default = type(error).description
    message = error.description if error.description != default else None
    if status == 429:
        message = None  # Flask-Limiter's description is the limit itself ("10 per 1 minute")
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="forum"'
    # Retry-After and the other rate limit headers are added by Flask-Limiter after this.
    field = getattr(error, "field", None)
    fields = {field: error.description} if field and status in (400, 422) else None
    return error_response(status, message, fields=fields, headers=headers)


def unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return http_error(InternalServerError())


def _unrouted(error: HTTPException):
    """404 and 405 before any blueprint: JSON under /api, the site's own page elsewhere."""
    if is_api_request():
        return http_error(error)
    site_handler = current_app.error_handler_spec[None][None][HTTPException]
    return site_handler(error)


def init_app(app: Flask) -> None:
    app.register_error_handler(NotFound, _unrouted)
    app.register_error_handler(MethodNotAllowed, _unrouted)
