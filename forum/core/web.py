"""What every response shares: error pages, security headers, the signed-in user."""

from __future__ import annotations

import gzip
from collections import OrderedDict
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
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
    # Last of the after-request hooks (they run in reverse), so it sees the finished response
    # and the page cache stores the plain body (it keeps its own compressed copy).
    app.after_request_funcs.setdefault(None, []).insert(0, compress)

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
    flash(_("Please log in to continue."), "info")
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


# Compression ----------------------------------------------------------------------------
#
# BREACH: a compressed response's length tells an attacker who can make a victim's browser ask
# for pages with text of their choosing (a search, a form's error) whether that text matches a
# secret on the same page, and so the secret a character at a time. Forum's form tokens are not
# masked per response (Flask-WTF signs the same session secret each time), so a response is
# compressed only if it carries no secret: no form token was made for it, and the request came
# with no credentials (no login, no remembered login, no API token). That is every page an
# anonymous reader gets but the forms, the cached pages among them, and the CSS and scripts.
# Pages of signed-in people are sent as they are. docs/deploy.md says the same for nginx.

COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/atom+xml",
    "application/xml",
    "image/svg+xml",
    "text/calendar",
    "text/plain",
)
MIN_COMPRESSED_BYTES = 1024
# Files (the CSS and scripts) are compressed once each; they change only with a release.
MAX_FILE_BYTES = 1024 * 1024
# Level 6 (zlib's default) gains little over 5 on HTML and costs more time.
GZIP_LEVEL = 5


def gzip_body(data: bytes) -> bytes:
    # mtime=0: the same body compresses to the same bytes, so its ETag stays the same.
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


_GZIPPED_FILES: OrderedDict[str, bytes] = OrderedDict()


def _gzip_file(response: Response, etag: str) -> bytes:
    """A static file's body compressed, once per file version (its ETag names it)."""
    body = _GZIPPED_FILES.get(etag)
    if body is None:
        body = _GZIPPED_FILES[etag] = gzip_body(b"".join(response.response))
        while len(_GZIPPED_FILES) > 256:
            _GZIPPED_FILES.popitem(last=False)
    return body


def may_be_signed_in() -> bool:
    """Whether the request carries a signed-in session or a remembered login; when it does
    not, the reader is anonymous without asking Flask-Login (which costs a hit of the page
    cache a tenth of its time)."""
    if "_user_id" in session:
        return True
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def carries_no_secret() -> bool:
    """True if this request's response holds nothing an attacker could learn by BREACH."""
    if "csrf_token" in g or "Authorization" in request.headers:
        return False
    return not may_be_signed_in()


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def compress(response: Response) -> Response:
    """Send ``response`` gzipped when the client accepts it and it carries no secret."""
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or "Content-Encoding" in response.headers
        or response.mimetype not in COMPRESSIBLE
        or request.method == "HEAD"
        or not accepts_gzip()
        or not carries_no_secret()
    ):
        return response
    if response.direct_passthrough:
        # A static file: read it (small) and compress it once per version (its ETag).
        length = response.content_length
        if response.get_etag()[0] is None or length is None or length > MAX_FILE_BYTES:
            return response
        etag = response.get_etag()[0]
        body = _gzip_file(response, etag)
        response.response.close()
        response.direct_passthrough = False
        response.set_data(body)
        # Another representation needs another ETag; a browser asking with it gets a 304.
        response.set_etag(f"{etag}-gzip")
        response.headers["Content-Encoding"] = "gzip"
        return response.make_conditional(request)
    if response.is_streamed or response.content_length is None:
        return response
    if response.content_length < MIN_COMPRESSED_BYTES:
        return response
    etag, weak = response.get_etag()
    response.set_data(gzip_body(response.get_data()))
    response.headers["Content-Encoding"] = "gzip"
    if etag is not None:
        response.set_etag(f"{etag}-gzip", weak=weak)
    return response
