"""Every error a person can meet is a page in the site's layout that says what happened.

Some errors need a route that fails on purpose (a crash, a refusal). Flask allows no new routes
once an app has served a request, so this module builds its own app with a few such routes,
next to the session's app.
"""

from __future__ import annotations

import re

import pytest
from flask import abort

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.extensions import db, limiter

SECRET_DETAIL = "database password is hunter2 at /srv/forum/forum/secret.py"


@pytest.fixture(scope="module")
def error_app(tmp_path_factory):
    from forum import create_app

    database = tmp_path_factory.mktemp("errors") / "errors.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "error-test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MAIL_URL": "locmem://",
            "BASE_URL": "http://forum.test",
        }
    )

    @app.get("/_test/bad-request")
    def bad_request():
        abort(400)

    @app.get("/_test/refused")
    def refused():
        raise PermissionDenied()

    @app.get("/_test/invalid")
    def invalid():
        raise ValidationFailed("body", "A post needs some text.")

    @app.get("/_test/crash")
    def crash():
        raise RuntimeError(SECRET_DETAIL)

    @app.get("/_test/limited")
    @limiter.limit("1 per minute")
    def limited():
        return "fine"

    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def error_client(error_app):
    limiter.reset()
    return error_app.test_client()


def assert_error_page(response, status: int, title: str, message: str) -> str:
    """The page has the status, the site's layout, a title and a message, and no internals."""
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:500]
    assert response.mimetype == "text/html"
    assert 'class="skip-link" href="#content"' in html
    assert '<main id="content"' in html
    assert "<header" in html and "<footer" in html
    assert re.search(rf"<title>{re.escape(title)} · ", html), "the tab names the error"
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert h1 and title in h1.group(1) and f"({status})" in h1.group(1)
    assert message in html
    for internal in ("Traceback", 'File "', "werkzeug", "jinja2", SECRET_DETAIL):
        assert internal not in html
    return html


def test_400_bad_request(error_client):
    response = error_client.get("/_test/bad-request")
    assert_error_page(response, 400, "Bad request", "The request could not be understood.")


def test_400_from_a_domain_rule_shows_its_own_message(error_client):
    response = error_client.get("/_test/invalid")
    assert_error_page(response, 400, "Bad request", "A post needs some text.")


def test_403_not_allowed(error_client):
    response = error_client.get("/_test/refused")
    assert_error_page(response, 403, "Not allowed", "You do not have permission to do that.")


def test_404_page_not_found(error_client):
    response = error_client.get("/no/such/page")
    assert_error_page(response, 404, "Page not found", "There is nothing here.")


def test_405_method_not_allowed_names_the_allowed_methods(error_client):
    response = error_client.get("/auth/logout")
    assert_error_page(
        response, 405, "Method not allowed", "That page does not accept this kind of request."
    )
    assert "POST" in response.headers["Allow"]


def test_413_too_large(error_client, error_app):
    oversized = "x" * (error_app.config["MAX_CONTENT_LENGTH"] + 1)
    response = error_client.post("/auth/login", data={"email": oversized})
    html = assert_error_page(
        response, 413, "Too large", "What you sent is larger than this site accepts."
    )
    assert oversized[:100] not in html


def test_429_too_many_requests_says_to_wait_and_when_to_retry(error_client):
    assert error_client.get("/_test/limited").status_code == 200
    response = error_client.get("/_test/limited")
    html = assert_error_page(response, 429, "Too many requests", "Please wait a minute")
    assert "1 per 1 minute" not in html, "the limit's own wording is not a message for people"
    assert int(response.headers["Retry-After"]) > 0


def test_500_is_a_page_without_internals_and_the_error_is_logged(error_client, caplog):
    response = error_client.get("/_test/crash")
    html = assert_error_page(
        response, 500, "Something went wrong", "An unexpected error happened on our side."
    )
    assert "RuntimeError" not in html
    assert SECRET_DETAIL in caplog.text, "the operator still learns what happened"


def test_a_form_without_csrf_token_is_refused_and_the_text_is_shown_back(error_client):
    comment = "My long comment about <Beijing's> signals & what they mean."
    response = error_client.post(
        "/discussions/1/posts",
        data={"body": comment, "password": "hunter2-secret", "csrf_token": ""},
    )
    html = assert_error_page(response, 400, "Bad request", "nothing was saved")
    textarea = re.search(r"<textarea([^>]*)>(.*?)</textarea>", html, re.S)
    assert textarea, "the submitted text is shown back"
    attributes, content = textarea.groups()
    assert "readonly" in attributes
    assert content == "My long comment about &lt;Beijing&#39;s&gt; signals &amp; what they mean."
    label_for = re.search(r'id="([^"]+)"', attributes).group(1)
    assert f'<label for="{label_for}">' in html, "the kept text has a label"
    assert "hunter2-secret" not in html, "passwords are never echoed"
