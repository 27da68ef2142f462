"""One app per test session, a fresh database per test, named personas and helpers.

FORUM_TEST_DATABASE_URL runs the suite on another database (PostgreSQL in CI); by default
each session gets its own SQLite file.
"""

from __future__ import annotations

import contextvars
import os
import re
import socket
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event

from forum.extensions import db, limiter
from tests import factories

IN_CI = os.environ.get("CI") == "true"
PASSWORD = factories.PASSWORD


def require_service(available: bool, reason: str) -> None:
    """Under CI a missing service fails the test; elsewhere the test is skipped."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def require_redis() -> str:
    """FORUM_TEST_REDIS_URL, once Redis answers there (see ``require_service``)."""
    import redis

    url = os.environ.get("FORUM_TEST_REDIS_URL")
    require_service(bool(url), "FORUM_TEST_REDIS_URL is not set (Redis)")
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        require_service(False, f"Redis does not answer at {url}")
    # Each worker of a parallel run gets a database of its own: the tests empty what they use.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        url = urlsplit(url)._replace(path=f"/{int(worker[2:]) + 1}").geturl()
    return url


def pytest_xdist_auto_num_workers(config) -> int | None:
    """The suite runs on every core (``-n logical`` in pyproject.toml), except where workers
    would share one thing that cannot be shared or cost more than they save."""
    if os.environ.get("FORUM_TEST_DATABASE_URL"):
        return 0  # one database for every worker: each would empty the others' tables
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return 0  # a folder, a file or a test asked for: starting workers costs more
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    # Browser journeys, gates and the stack start servers and browsers of their own, and the
    # gates measure speed: they run one after another on one worker.
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("stack"):
            item.add_marker(pytest.mark.xdist_group("one_at_a_time"))


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["FORUM_INSTANCE_PATH"] = str(path)
    return path


@pytest.fixture(scope="session")
def app(instance_dir):
    from forum import create_app

    url = os.environ.get("FORUM_TEST_DATABASE_URL") or f"sqlite:///{instance_dir / 'test.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_URL": "locmem://",
            "BASE_URL": "http://forum.test",
            # A cheap hash keeps the suite fast; production uses scrypt.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_database(request, app):
    """Each test starts with empty tables, an empty outbox and no rate-limit history."""
    if "live_server" in request.fixturenames:
        yield
        _empty_tables(app)
        return
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
    _empty_tables(app)


def _empty_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        limiter.reset()
        app.extensions["mailman"].outbox = []


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Tests talk to loopback only: a stray connection to the world fails loudly."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                raise OSError(f"tests may not connect to {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


class RequestIsolatingClient(FlaskClient):
    """Each request runs in its own app context, as on a real server.

    The test holds an app context open for its database work; a request made inside it would
    share its ``g`` (the signed-in user, the CSRF token) and its database session. Running
    the request in an empty ``contextvars.Context`` makes Flask push a fresh one.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = RequestIsolatingClient
    return app.test_client()


@pytest.fixture
def outbox(app):
    """The emails sent during the test, as flask-mailman messages."""
    state = app.extensions["mailman"]
    state.outbox = []
    return state.outbox


# Personas -------------------------------------------------------------------------------


@pytest.fixture
def reader():
    return factories.make_user("reader@example.org", "Rita Reader")


@pytest.fixture
def other_reader():
    return factories.make_user("other@example.org", "Otto Other")


@pytest.fixture
def unverified():
    return factories.make_user("new@example.org", "Nina New", verified=False)


@pytest.fixture
def moderator():
    return factories.make_user("moderator@example.org", "Mo Moderator", role="moderator")


@pytest.fixture
def admin():
    return factories.make_user("admin@example.org", "Ada Admin", role="admin")


# Helpers --------------------------------------------------------------------------------

_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, url: str = "/auth/login") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def post_form(client, url: str, data: dict, page: str | None = None, **kwargs):
    """POST ``data`` with the session's CSRF token, as a browser submitting a form does."""
    data = {"csrf_token": csrf_token(client, page or "/auth/login"), **data}
    return client.post(url, data=data, **kwargs)


def login(client, user, password: str = PASSWORD, remember: bool = False):
    response = post_form(
        client,
        "/auth/login",
        {"email": user.email, "password": password, **({"remember": "y"} if remember else {})},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


@contextmanager
def one_connection_app(app, **config):
    """Another app on the suite's database whose pool holds one connection, so a test knows
    which connection every request used; the connection is closed afterwards."""
    from forum import create_app

    single = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 2},
            **config,
        }
    )
    try:
        yield single
    finally:
        with single.app_context():
            db.session.rollback()
            db.engine.dispose()


@contextmanager
def count_queries():
    """Count the SQL statements run inside the block: ``with count_queries() as queries:``."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


# Browser --------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_service(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
