"""What every response shares: error pages, security headers, the signed-in user."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from forum.core.urls import safe_next
from forum.extensions import db, login_manager

ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    429: "Too many requests",
    500: "Something went wrong",
}

ERROR_EXPLANATIONS = {
    400: "The request could not be understood.",
    403: "You do not have permission to do that.",
    404: "There is nothing here. It may have been moved or removed.",
    405: "That page does not accept this kind of request.",
    413: "What you sent is larger than this site accepts.",
    429: "You are doing that too often. Please wait a minute and try again.",
    500: "An unexpected error happened on our side. It has been logged; please try again.",
}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_ask_to_log_in)

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.after_request(_security_headers)

    from forum.ops import logs

    logs.init_app(app)


def _load_user(session_id: str):
    from forum.accounts.queries import get_user_for_session

    return get_user_for_session(session_id)


def _ask_to_log_in():
    """Send an anonymous visitor to log in, and back to the page they were on afterwards.

    After a POST (a reply form, a vote) the way back is the page the form was on, since the
    POST's own URL cannot be revisited with GET.
    """
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        same_site = referrer.netloc in ("", request.host)
        back = safe_next(referrer.path + ("?" + referrer.query if referrer.query else ""))
        back = back if same_site else "/"
    flash("Please log in to continue.", "info")
    return redirect(url_for("accounts.login", next=back))


def render_error(code: int, message: str | None = None, **context):
    db.session.rollback()
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=ERROR_TITLES.get(code, "Error"),
            message=message or ERROR_EXPLANATIONS.get(code, ""),
            **context,
        ),
        code,
    )


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    # Our own messages (abort(404, "No such article")) are meant for people; werkzeug's
    # defaults are not, so they give way to ours.
    default = type(error).description
    message = error.description if error.description != default else None
    limit = getattr(error, "limit", None)
    if limit is not None and not limit.error_message:
        message = None  # Flask-Limiter's default is the limit itself ("10 per 1 minute")
    response = render_error(error.code, message)
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
    return response


def _csrf_error(error: CSRFError):
    # The form's text is shown back so nothing typed is lost; it is not resubmitted for the
    # user, since the request may not have come from them.
    kept = {
        name: value
        for name, value in request.form.items()
        if name not in ("csrf_token",) and "password" not in name and value.strip()
    }
    return render_error(
        400,
        "This form had expired or did not come from this site, so nothing was saved. "
        "Go back, reload the page and try again.",
        kept=kept,
    )


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return render_error(500)


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config["BASE_URL"].startswith("https://"):
        # A site served over HTTPS tells browsers never to reach it over plain HTTP.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
