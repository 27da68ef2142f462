"""The gates: the demo on a live server, crawled once per person, and the real checkers.

The crawl (``crawl``) is session-scoped: it visits every page each persona can reach, and
every checker (the Nu HTML Checker, axe-core, the header checks) reads the same responses.
The gates use their own SQLite database with the demo loaded, so the rest of the suite's
empty-tables-after-each-test rule does not touch them.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask, current_app, template_rendered
from jinja2 import ChainableUndefined
from sqlalchemy import inspect, select, text
from werkzeug.serving import make_server

from forum import create_app
from forum.accounts import services as accounts
from forum.accounts.models import Role
from forum.accounts.queries import find_user_by_email
from forum.articles.models import Article
from forum.demo import services as demo
from forum.discussions import services as discussions
from forum.discussions.models import Post
from forum.discussions.queries import get_public_discussion
from forum.extensions import db
from forum.groups import services as groups
from tests.browser.conftest import LiveServer, Mailbox, free_port, serve
from tests.conftest import require_service
from tests.gates.crawler import Client, Crawl, Visit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SETUP_HINT = "run `npm ci` at the repository root (see `make check`)"

# Accounts the demo does not have: a reader outside the group, a person who has not
# confirmed their address, and one whose emailed links (tokens) the crawl follows.
OUTSIDER = ("outsider@example.org", "Oona Outsider", True)
UNVERIFIED = ("unverified@example.org", "Uma Unverified", False)
TOKEN_OWNER = ("tokens@example.org", "Theo Tokens", False)
PASSWORD = "gates-password-123"
HELD_POST = "A first comment from a newcomer, held until a moderator approves it."
DEMO_PASSWORDS = {account.key: (account.email, account.password) for account in demo.ACCOUNTS}

# Who visits the site, and with which account (None: not logged in).
PERSONAS: dict[str, tuple[str, str] | None] = {
    "anonymous": None,
    "unverified": (UNVERIFIED[0], PASSWORD),
    "reader": (OUTSIDER[0], PASSWORD),
    "member": DEMO_PASSWORDS["reader"],
    "organiser": DEMO_PASSWORDS["organiser"],
    "moderator": DEMO_PASSWORDS["moderator"],
    "admin": DEMO_PASSWORDS["admin"],
}
# The error pages are one template; two people (with and without an account) see them.
ERROR_PAGE_PERSONAS = ("anonymous", "member")
BOOM = "/_gates/unexpected-error"


def pytest_collection_modifyitems(config, items):
    """Tests here are gates; they need a browser and a live server like the journeys do."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.gates)
            item.add_marker(pytest.mark.browser)


def java_available() -> bool:
    if shutil.which("java") is None:
        return False
    result = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return result.returncode == 0


@pytest.fixture(scope="session")
def vnu_jar() -> Path:
    require_service(java_available(), "Java is not installed (the Nu HTML Checker needs it)")
    require_service(VNU.exists(), f"{VNU.relative_to(ROOT)} is missing: {SETUP_HINT}")
    return VNU


@pytest.fixture(scope="session")
def axe_script() -> Path:
    require_service(AXE.exists(), f"{AXE.relative_to(ROOT)} is missing: {SETUP_HINT}")
    return AXE


@dataclass
class GatesSite:
    url: str
    app: Flask
    mailbox: Mailbox
    rendered_templates: set[str]
    tokens: dict[str, dict[str, str]]


def _add_to_demo() -> dict[str, dict[str, str]]:
    """The extra accounts and a held post; returns the links the app would email (by
    endpoint and variables)."""
    for email, name, verified in (OUTSIDER, UNVERIFIED, TOKEN_OWNER):
        accounts.create_user(None, email, name, PASSWORD, role=Role.READER, verified=verified)
    db.session.flush()
    # A newcomer's comment waits for a moderator, so the queue and its pages have an item.
    article = db.session.scalars(select(Article).order_by(Article.id)).first()
    discussions.post_reply(
        find_user_by_email(OUTSIDER[0]), get_public_discussion(article), None, HELD_POST
    )
    # The reader outside the group is invited to it: the email's link is an invitation page.
    groups.invite(None, groups.ensure_group(demo.GROUP_NAME), OUTSIDER[0])
    owner = find_user_by_email(TOKEN_OWNER[0])
    return {
        "accounts.verify_email": {"token": accounts.verification_token(owner)},
        "accounts.reset_password": {"token": accounts.reset_token(owner)},
        "accounts.confirm_email_change": {
            "token": accounts.request_email_change(owner, owner, "tokens-new@example.org", PASSWORD)
        },
    }


@pytest.fixture(scope="session")
def gates_site(tmp_path_factory) -> GatesSite:
    """The demo, served over real HTTP on loopback, with a real SMTP server for its mail."""
    folder = tmp_path_factory.mktemp("gates")
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    rendered: set[str] = set()
    tokens: dict[str, dict[str, str]] = {}

    def make_app(url: str) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "gates-secret",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'gates.db'}",
                "MAIL_URL": mailbox.url,
                "BASE_URL": url,
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
                # The crawl logs in as each persona and sends every sign-in form once.
                "RATELIMIT_AUTH": "1000 per minute",
            }
        )

        # The 500 page is shown only when something breaks; this route breaks on purpose.
        def unexpected_error():
            raise RuntimeError("the gates' deliberate error")

        app.add_url_rule(BOOM, "gates_unexpected_error", unexpected_error)
        template_rendered.connect(
            lambda sender, template, context, **extra: rendered.add(template.name), app, False
        )
        with app.app_context():
            db.create_all()
            demo.load_demo(progress=lambda message: None)
            tokens.update(_add_to_demo())
            db.session.commit()
        return app

    with serve(make_app) as server:
        yield GatesSite(server.url, server.app, mailbox, rendered, tokens)
    controller.stop()


def _log_in(crawl: Crawl, client: Client, persona: str) -> None:
    account = PERSONAS[persona]
    if account is None:
        return
    # One person asks to be remembered, so the remember-me cookie is checked too.
    visit = client.log_in(*account, remember=persona == "member")
    crawl.record(visit, "log in")


def _error_pages(crawl: Crawl, client: Client) -> None:
    post_only = next(
        rule.rule
        for rule in crawl.app.url_map.iter_rules()
        if "GET" not in rule.methods and not rule.arguments
    )
    crawl.record(client.request("GET", "/gates/no-such-page"), "error page")
    crawl.record(client.request("GET", post_only), "error page")
    crawl.record(client.request("GET", BOOM), "error page")
    # A form sent without its CSRF token (an expired page, or another site's form).
    visit = client.request("POST", "/auth/reset", {"email": "someone@example.org"})
    crawl.record(visit, "error page")


@pytest.fixture(scope="session")
def crawl(gates_site) -> Crawl:
    """Every page of the demo as each persona sees it, plus error pages and forms with errors."""
    found = Crawl(gates_site.app)
    # Some pages and links exist only once mail has been sent (an admin's mail log, the
    # links in the emails themselves).
    _send_account_emails(gates_site)
    for email in _sent_emails(gates_site):
        found.add_links_from_email(email.html, gates_site.url)
    found.add_row_ids(_row_ids(gates_site.app))
    clients = {}
    for persona in PERSONAS:
        client = clients[persona] = Client(gates_site.url, persona)
        _log_in(found, client, persona)
        found.crawl_links(client)
    # Routes no link led to, filled with values the links showed (ids, slugs) or, for the
    # links that only emails carry, with tokens made for the purpose.
    for client in clients.values():
        found.visit_routes(client, gates_site.tokens)
    for persona in ERROR_PAGE_PERSONAS:
        _error_pages(found, clients[persona])
    # Last, since a form that accepts empty text changes what later pages would show.
    for client in clients.values():
        found.submit_forms_empty(client)
    return found


@pytest.fixture(scope="session")
def html_pages(crawl) -> list[Visit]:
    return crawl.html_pages()


@dataclass
class Email:
    name: str  # how a failure names it
    html: str | None  # None: the template could not be rendered and no crawl step sent it


def _outbox_html(app: Flask) -> list[Email]:
    """The HTML of the emails the app queued, when it keeps an outbox table."""
    with app.app_context():
        if not inspect(db.engine).has_table("outbox_messages"):
            return []
        rows = db.session.execute(
            text("SELECT template, to_address, html_body FROM outbox_messages")
        ).all()
        db.session.remove()
    return [Email(f"email {template} to {to} (outbox)", html) for template, to, html in rows]


def _sent_emails(site: GatesSite) -> list[Email]:
    """The HTML part of every email sent so far, or queued in the outbox."""
    found = []
    for message in list(site.mailbox.messages):
        part = message.get_body(preferencelist=("html",))
        if part is not None:
            name = f"email {message['Subject']!r} to {message['To']}"
            found.append(Email(name, part.get_content()))
    return found + _outbox_html(site.app)


class Placeholder(ChainableUndefined):
    """A value the template expects and the gates do not have: shown as a word, so a
    ``<title>{{ subject }}</title>`` is not left empty."""

    def __str__(self) -> str:
        return "/example"


def _email_templates(site: GatesSite) -> list[Email]:
    """Every HTML email template rendered with placeholders for its context, so a template
    that no step of the crawl sends is still checked for its markup."""
    app = site.app
    environment = app.jinja_env.overlay(undefined=Placeholder)
    found = []
    with app.test_request_context():
        for name in sorted(environment.list_templates(filter_func=_is_email_html)):
            context = {"base_url": app.config["BASE_URL"], "site_name": app.config["SITE_NAME"]}
            try:
                html = environment.get_template(name).render(context)
            except Exception:  # noqa: BLE001 - any failure means "needs its real context"
                if name in site.rendered_templates:
                    continue  # sent for real during the crawl, and checked as sent
                html = None
            found.append(Email(f"template {name}", html))
    return found


def _is_email_html(name: str) -> bool:
    return name.startswith("emails/") and name.endswith(".html")


def _send_account_emails(site: GatesSite) -> None:
    """Someone registers and someone asks for a password reset: the site's first emails."""
    client = Client(site.url, "anonymous")
    data = {"email": "newcomer@example.org", "display_name": "Nell Newcomer", "password": PASSWORD}
    token = client.csrf_token("/auth/register")
    client.follow("POST", "/auth/register", {"csrf_token": token, **data})
    client = Client(site.url, "anonymous")
    token = client.csrf_token("/auth/reset")
    client.follow(
        "POST", "/auth/reset", {"csrf_token": token, "email": DEMO_PASSWORDS["reader"][0]}
    )


def _row_ids(app: Flask) -> dict[str, list[int]]:
    """A few ids of each table with an ``id`` column, for routes like /users/<int:user_id>."""
    found = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if "id" in table.columns:
                ids = db.session.scalars(select(table.c.id).order_by(table.c.id).limit(5))
                found[table.name] = list(ids)
        db.session.remove()
    return found


@pytest.fixture(scope="session")
def emails(gates_site, crawl) -> list[Email]:
    """Every email sent before and during the crawl, and each email template on its own."""
    return _sent_emails(gates_site) + _email_templates(gates_site)


@contextmanager
def demo_server(
    database: Path,
    add: Callable[[], object],
    config: dict | None = None,
    tls: tuple[Path, Path] | None = None,
) -> Iterator[LiveServer]:
    """The demo, plus what ``add`` puts in, on a live server of its own with its own database:
    for a checker that writes (wapiti's attacks post) or needs data the crawl's site has not
    (Lighthouse's long discussion), so the crawl's pages stay as they are. With ``tls`` (a
    certificate and its key) it serves HTTPS, as the site does in production."""
    port = free_port()
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "gates-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MAIL_URL": "locmem://",
            "BASE_URL": url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            **(config or {}),
        }
    )
    with app.app_context():
        db.create_all()
        demo.load_demo(progress=lambda message: None)
        add()
        db.session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        # Each connection's handshake happens in its own request thread. (werkzeug's own TLS
        # shakes hands while accepting, so one client that connects and goes away, as a
        # scanner's cancelled request does, would stall the whole server.)
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
        server.ssl_context = context
    thread = threading.Thread(target=server.serve_forever, name=f"demo-{port}", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with openssl."""
    require_service(shutil.which("openssl") is not None, "openssl is not installed")
    certificate, key = folder / "certificate.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
        + ["-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


LONG_DISCUSSION_POSTS = 200
REPLY_AUTHORS = ("reader", "reader2", "organiser", "moderator", "admin")


def add_long_discussion() -> Article:
    """The newest demo article's discussion grows to exactly 200 published posts, all on its
    first page (one page of top-level posts, the rest replies up to four deep)."""
    people = {key: find_user_by_email(email) for key, (email, _password) in DEMO_PASSWORDS.items()}
    article = db.session.scalars(select(Article).order_by(Article.published_at.desc())).first()
    discussion = get_public_discussion(article)
    posts = list(db.session.scalars(select(Post).where(Post.discussion_id == discussion.id)))
    roots = [post for post in posts if post.parent_id is None]
    when = max(post.created_at for post in posts) if posts else article.published_at
    per_page = current_app.config["POSTS_PER_PAGE"]
    for number in range(len(posts) + 1, LONG_DISCUSSION_POSTS + 1):
        when += timedelta(minutes=7)
        author = people[REPLY_AUTHORS[number % len(REPLY_AUTHORS)]]
        # A page of top-level posts first, then replies to recent posts (so threads nest as
        # real ones do), up to four deep.
        parent = None
        if len(roots) >= per_page:
            parent = posts[-1 - number % 4]
            if parent.depth >= 3:
                parent = roots[number % len(roots)]
        body = (
            f"Comment {number}: the point about burden-sharing reads differently after this "
            "year's summit. Whether the commitments hold depends less on the communiqué than "
            "on what the budgets say in two years' time."
        )
        post = discussions.post_reply(author, discussion, parent, body, when)
        assert post.is_published, f"comment {number} was held: {post.hold_reasons}"
        posts.append(post)
        if parent is None:
            roots.append(post)
    return article
