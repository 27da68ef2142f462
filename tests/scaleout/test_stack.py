"""Forum scaled out: deploy/stack.py's PostgreSQL, Redis, two gunicorn instances behind nginx
and two workers, driven over real HTTP and SMTP.

The stack runs as separate processes, so this is what holds when Forum serves from several
machines: nothing an instance needs lives in another process's memory. The tests share one
stack and run in file order; the last one kills an instance.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import requests

from tests.browser.conftest import Mailbox, free_port
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "stack.py"
ARTICLES = ROOT / "forum" / "demo" / "articles"
FORUM = str(Path(sys.executable).parent / "forum")
PASSWORD = "stack-test-password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
POSTS_FORM = re.compile(r'action="(/discussions/\d+/posts)"')

pytestmark = pytest.mark.stack


def _missing_programs() -> list[str]:
    postgres = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    needed = {"nginx": shutil.which("nginx") or shutil.which("/usr/sbin/nginx")}
    needed["redis-server"] = shutil.which("redis-server")
    needed["PostgreSQL's initdb"] = postgres or shutil.which("initdb")
    return [name for name, found in needed.items() if not found]


class Stack:
    def __init__(self, directory: Path, port: int):
        self.directory = directory
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(
            line.split("=", 1) for line in (directory / "stack.env").read_text().splitlines()
        )
        ports = (directory / "instance-ports").read_text().split()
        self.instances = [f"http://127.0.0.1:{value}" for value in ports]

    def forum(self, *arguments: str, **options) -> subprocess.CompletedProcess:
        return subprocess.run(
            [FORUM, *arguments],
            env=os.environ | self.env,
            capture_output=True,
            text=True,
            timeout=120,
            **options,
        )

    def sql(self, statement: str, *parameters) -> list[tuple]:
        url = self.env["FORUM_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(statement, parameters)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture(scope="module")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox("127.0.0.1", free_port())
    controller = Controller(box, hostname=box.host, port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def stack(mailbox):
    missing = _missing_programs()
    require_service(not missing, f"the scale-out stack needs {', '.join(missing)}")
    # Not under pytest's private tmp folder: as root, PostgreSQL runs as its own user and must
    # reach the folder.
    directory = Path(tempfile.mkdtemp(prefix="forum-stack-"))
    # Many posts from one person and one address in a few seconds: the load test's, not abuse.
    (directory / "instance").mkdir()
    (directory / "instance" / "forum.cfg").write_text(
        'RATELIMIT_POSTING = "1000 per minute"\nRATELIMIT_POSTING_ADDRESS = "1000 per minute"\n'
    )
    port = free_port()
    command = [sys.executable, str(STACK)]
    started = subprocess.run(
        [*command, "start", str(directory), "--port", str(port), "--mail-url", mailbox.url],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert started.returncode == 0, f"the stack did not start:\n{started.stdout}{started.stderr}"
    try:
        running = Stack(directory, port)
        for email, name in (("ada@example.com", "Ada Stack"), ("ben@example.com", "Ben Stack")):
            made = running.forum(
                "users", "create", email, "--name", name, "--password", PASSWORD,
                "--role", "moderator", "--verified",
            )  # fmt: skip
            assert made.returncode == 0, made.stdout + made.stderr
        yield running
    finally:
        subprocess.run([*command, "stop", str(directory)], capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def _import_article(stack: Stack, name: str) -> str:
    """Import one demo article; its page's address."""
    imported = stack.forum("import", str(ARTICLES / name))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    (slug,) = stack.sql("SELECT slug FROM articles ORDER BY id DESC LIMIT 1")[0]
    return f"/articles/{slug}"


@pytest.fixture(scope="module")
def article(stack):
    return _import_article(stack, sorted(path.name for path in ARTICLES.glob("*.txt"))[0])


def _session(address: str) -> requests.Session:
    """A browser of its own, seen by Forum at ``address`` (nginx would say so in the header)."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    return session


def _log_in(session: requests.Session, base: str, email: str, password: str = PASSWORD):
    form = session.get(f"{base}/auth/login", timeout=10)
    token = CSRF.search(form.text).group(1)
    return session.post(
        f"{base}/auth/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )


def _post(session: requests.Session, base: str, article: str, body: str) -> requests.Response:
    page = session.get(f"{base}{article}", timeout=10)
    action = POSTS_FORM.search(page.text).group(1)
    token = CSRF.search(page.text).group(1)
    return session.post(
        f"{base}{action}",
        data={"body": body, "csrf_token": token, "website": ""},
        allow_redirects=False,
        timeout=10,
    )


def test_posts_made_through_either_instance_read_back_through_both(stack, article):
    first, second = stack.instances
    writer = _session("198.51.100.1")
    assert _log_in(writer, first, "ada@example.com").status_code == 302
    for base, body in ((first, "Posted through the first instance."), (second, "And the second.")):
        assert _post(writer, base, article, body).status_code == 302

    for base in (first, second, stack.url):
        page = requests.get(f"{base}{article}", timeout=10).text
        assert "Posted through the first instance." in page, base
        assert "And the second." in page, base


def test_a_login_made_on_one_instance_is_valid_on_the_other(stack):
    first, second = stack.instances
    browser = _session("198.51.100.2")
    assert _log_in(browser, first, "ben@example.com").status_code == 302

    settings = browser.get(f"{second}/settings", allow_redirects=False, timeout=10)
    assert settings.status_code == 200
    assert "Ben Stack" in settings.text


def test_rate_limits_are_counted_across_instances(stack):
    first, second = stack.instances
    # RATELIMIT_AUTH is 10 a minute per address: five wrong passwords on each instance use it up.
    attacker = _session("203.0.113.9")
    for attempt in range(10):
        base = first if attempt % 2 else second
        refused = _log_in(attacker, base, "ada@example.com", "not-the-password")
        assert refused.status_code == 422, f"attempt {attempt + 1}: {refused.status_code}"

    blocked = _log_in(attacker, first, "ada@example.com")
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    # Someone else, at another address, still gets in.
    assert _log_in(_session("203.0.113.10"), second, "ben@example.com").status_code == 302


def test_two_digest_runs_at_once_send_each_digest_exactly_once(stack, mailbox):
    stack.sql("UPDATE users SET digest_frequency = 'daily', timezone = 'UTC'")
    _import_article(stack, sorted(path.name for path in ARTICLES.glob("*.txt"))[-1])
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    now = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 7, 5, tzinfo=UTC)
    mailbox.clear()

    # Two runs racing, as two workers each running the periodic job would; both workers send.
    runs = [
        subprocess.Popen(
            [FORUM, "digests", "send", "--now", now.isoformat()],
            env=os.environ | stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    for run in runs:
        output, _ = run.communicate(timeout=120)
        assert run.returncode == 0, output

    people = {"ada@example.com", "ben@example.com"}
    for person in people:
        mailbox.wait_for(person, timeout=30)
    time.sleep(3)  # a duplicate would arrive within the workers' next poll
    digests = [str(message["To"]) for message in mailbox.messages]
    assert sorted(digests) == sorted(people), digests


def test_an_instance_killed_under_load_loses_no_accepted_post(stack, article):
    writer = _session("198.51.100.3")
    assert _log_in(writer, stack.url, "ada@example.com").status_code == 302
    accepted: list[str] = []
    refused: list[int] = []
    stop = threading.Event()

    def post_until_stopped() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            body = f"Load post number {number}."
            try:
                response = _post(writer, stack.url, article, body)
            except (requests.RequestException, AttributeError):
                refused.append(-1)
                continue
            if response.status_code == 302:
                accepted.append(body)
            else:
                refused.append(response.status_code)

    poster = threading.Thread(target=post_until_stopped)
    poster.start()
    try:
        _wait_until(lambda: len(accepted) >= 10, "ten posts accepted before the kill")
        pid = int((stack.directory / "gunicorn-1.pid").read_text())
        os.killpg(pid, signal.SIGKILL)
        killed_at = len(accepted)
        _wait_until(lambda: len(accepted) >= killed_at + 20, "twenty posts after the kill")
    finally:
        stop.set()
        poster.join(timeout=30)

    stored = {row[0] for row in stack.sql("SELECT body_md FROM posts")}
    lost = [body for body in accepted if body not in stored]
    assert not lost, f"accepted but not stored: {lost}"
    # nginx takes the dead instance out: at most the requests in flight at the kill fail.
    assert len(refused) <= 4, refused


def _wait_until(condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
