"""Followed feeds: the admin page, and the worker's conditional polls against a real HTTP
server on 127.0.0.1 (which OUTBOUND_ALLOW_INTERNAL lets the fetcher reach; the refusal of
internal addresses is in test_feed_targets.py)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.articles import feeds, importing
from forum.articles.models import Article, Feed
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.notifications.jobs import TASKS, get_huey
from tests.conftest import login, post_form
from tests.html import elements

FIXTURES = Path(__file__).parent / "fixtures"
RSS = (FIXTURES / "rss.xml").read_bytes()
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
MODIFIED = "Mon, 10 Jun 2024 11:00:00 GMT"


@dataclass
class Served:
    """What the blog serves: a body with its validators, or a status, or a slow answer."""

    body: bytes = RSS
    etag: str = '"v1"'
    status: int = 200
    delay: float = 0.0
    chunked: bool = False
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location
    requests: list[dict[str, str]] = field(default_factory=list)


class Blog(BaseHTTPRequestHandler):
    served: Served

    def do_GET(self):  # noqa: N802 - the name http.server calls
        served = self.server.served
        served.requests.append({"path": self.path, **self.headers})
        if self.path in served.redirects:
            self.send_response(301)
            self.send_header("Location", served.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        time.sleep(served.delay)
        if served.status != 200:
            self.send_response(served.status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == served.etag:
            self.send_response(304)
            self.send_header("ETag", served.etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", served.etag)
        self.send_header("Last-Modified", MODIFIED)
        if served.chunked:
            # No length given: the size cap has to count while it reads.
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(served.body), 65536):
                chunk = served.body[start : start + 65536]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("Content-Length", str(len(served.body)))
        self.end_headers()
        self.wfile.write(served.body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def blog(app, monkeypatch):
    """The blog listens on loopback, which the fetcher refuses unless the setting allows it:
    the fixture opts in, for this module and for those that borrow it."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Blog)
    server.daemon_threads = True
    server.served = Served()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def url_of(blog, path: str = "/feed/") -> str:
    return f"http://127.0.0.1:{blog.server_address[1]}{path}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def followed(blog, admin):
    feed = feeds.add_feed(admin, url_of(blog), now=NOW)
    db.session.commit()
    return feed


def test_polls_are_conditional_and_import_only_what_changed(blog, followed):
    [first] = feeds.poll_due_feeds(NOW)

    assert first.status == "imported"
    assert first.report.summary() == "2 created, 0 updated, 1 skipped, 0 failed."
    db.session.refresh(followed)
    assert (followed.etag, followed.last_modified) == ('"v1"', MODIFIED)
    assert followed.title == "Harbour Review"
    assert count(Article) == 2 and count(Discussion) == 2

    # Polled again before the interval is up: nothing is asked.
    assert feeds.poll_due_feeds(NOW + timedelta(minutes=5)) == []
    assert len(blog.served.requests) == 1

    [second] = feeds.poll_due_feeds(LATER)
    assert second.status == "not modified"
    asked = blog.served.requests[-1]
    assert (asked["If-None-Match"], asked["If-Modified-Since"]) == ('"v1"', MODIFIED)

    blog.served.etag = '"v2"'
    blog.served.body = RSS.replace(b"the ferry keeps to them", b"the ferry ignores them")
    [third] = feeds.poll_due_feeds(LATER + timedelta(hours=1))
    assert third.report.summary() == "0 created, 1 updated, 2 skipped, 0 failed."
    db.session.refresh(followed)
    assert followed.etag == '"v2"'
    assert count(Article) == 2


@pytest.mark.parametrize(
    ("served", "message"),
    [
        (Served(status=500), "The server answered 500."),
        (Served(body=(FIXTURES / "billion_laughs.xml").read_bytes()), "Refused: the document"),
        (Served(body=b"<rss><channel><item>"), "Malformed XML at line 1"),
        (Served(body=b"<html><body>Moved</body></html>"), "Not an RSS 2.0, Atom"),
        (Served(body=RSS * 200, chunked=True), "Larger than 0 MB."),
        (Served(delay=1.5), "No answer within 0.5 seconds."),
    ],
)
def test_a_failed_poll_is_recorded_and_changes_nothing(
    app, monkeypatch, blog, followed, served, message
):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100_000)
    monkeypatch.setitem(app.config, "IMPORT_TIMEOUT_SECONDS", 0.5)
    blog.served = served

    [result] = feeds.poll_due_feeds(NOW)

    assert result.status == "failed"
    assert result.message.startswith(message)
    db.session.refresh(followed)
    assert followed.last_failed and followed.last_result == result.message
    assert followed.etag is None and followed.last_polled_at == NOW
    assert count(Article) == 0


def test_a_poll_that_breaks_half_way_leaves_nothing_half_imported(monkeypatch, blog, followed):
    real = importing.import_item
    calls = []

    def breaks_on_the_second(item, *args, **kwargs):
        calls.append(item.title)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(item, *args, **kwargs)

    monkeypatch.setattr(importing, "import_item", breaks_on_the_second)

    [result] = feeds.poll_due_feeds(NOW)

    assert result.status == "failed"
    assert count(Article) == 0 and count(Discussion) == 0
    db.session.refresh(followed)
    assert followed.last_failed and followed.etag is None


def test_the_worker_has_a_periodic_poll(app, blog, followed):
    get_huey(app)
    task = app.extensions[TASKS]["poll_feeds"]
    assert task.task_class.validate_datetime  # a periodic task, run by the worker's clock

    task()  # immediate under TESTING: runs here, in its own app context and session

    db.session.expire_all()
    assert count(Article) == 2


def test_forum_import_reads_a_url(app, blog):
    result = app.test_cli_runner().invoke(args=["import", url_of(blog)])

    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 1 skipped, 0 failed." in result.stdout
    assert blog.served.requests[0]["User-Agent"] == "Forum feed importer"


def test_a_feed_that_moved_is_followed_through_its_redirects(blog, admin):
    """A blog that moved answers 301; the poll follows it (a few hops at most), conditional
    GET included, and keeps the address the admin gave."""
    blog.served.redirects = {"/old": url_of(blog, "/moved"), "/moved": "/feed/"}
    feed = feeds.add_feed(admin, url_of(blog, "/old"), now=NOW)
    db.session.commit()

    [first] = feeds.poll_due_feeds(NOW)
    [second] = feeds.poll_due_feeds(LATER)

    assert (first.status, second.status) == ("imported", "not modified")
    assert [r["path"] for r in blog.served.requests] == ["/old", "/moved", "/feed/"] * 2
    assert blog.served.requests[-1]["If-None-Match"] == '"v1"'
    db.session.refresh(feed)
    assert feed.url == url_of(blog, "/old") and count(Article) == 2


def test_a_redirect_loop_stops_after_a_few_hops(blog, followed):
    blog.served.redirects = {f"/feed/{'x' * n}": f"/feed/{'x' * (n + 1)}" for n in range(10)}
    blog.served.redirects["/feed/"] = "/feed/x"

    [result] = feeds.poll_due_feeds(NOW)

    assert result.status == "failed"
    assert result.message == "More than 3 redirects."
    assert len(blog.served.requests) == 4


# The admin page ------------------------------------------------------------------------------


def test_admins_follow_poll_and_drop_feeds_on_the_admin_page(client, admin, blog):
    login(client, admin)

    response = post_form(client, "/admin/feeds", {"url": url_of(blog)}, page="/admin/feeds")
    assert response.status_code == 302
    page = client.get("/admin/feeds").get_data(as_text=True)
    assert "The site follows" in page and "Waiting for the first poll." in page
    feed_id = db.session.scalar(select(Feed.id))

    response = post_form(
        client, f"/admin/feeds/{feed_id}/poll", {}, page="/admin/feeds", follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "2 created, 0 updated, 1 skipped, 0 failed." in page
    assert "Harbour Review" in page
    assert count(Article) == 2

    response = post_form(
        client, f"/admin/feeds/{feed_id}/delete", {}, page="/admin/feeds", follow_redirects=True
    )
    assert "the articles it brought stay" in response.get_data(as_text=True)
    assert count(Feed) == 0 and count(Article) == 2


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Enter the address of an RSS or Atom feed."),
        ("ftp://blog.example.org/feed", "A feed address starts with http:// or https://."),
        ("file:///etc/passwd", "A feed address starts with http:// or https://."),
    ],
)
def test_a_bad_address_is_refused_beside_the_field(client, admin, url, message):
    login(client, admin)

    response = post_form(client, "/admin/feeds", {"url": url}, page="/admin/feeds")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{url}"' in page if url else True
    assert count(Feed) == 0


def test_the_admin_page_lists_every_feed_with_its_result(client, admin, followed):
    other = feeds.add_feed(admin, "https://lights.example.net/feed.atom", now=NOW)
    other.last_result, other.last_failed = "Malformed XML at line 3, column 1.", True
    db.session.commit()
    login(client, admin)

    html = client.get("/admin/feeds").get_data(as_text=True)

    assert "Failed:</strong> Malformed XML at line 3, column 1." in html
    assert html.count("Waiting for the first poll.") == 1
    ids = [attributes["id"] for _tag, attributes in elements(html) if "id" in attributes]
    assert len(ids) == len(set(ids)), "ids are unique, however many feeds"
    assert f">Poll {followed.url} now</button>" in html
    assert html.count(">Stop following ") == 2


def test_the_same_feed_twice_is_refused(client, admin, followed):
    login(client, admin)

    response = post_form(client, "/admin/feeds", {"url": followed.url}, page="/admin/feeds")

    assert response.status_code == 400
    assert "This feed is followed already." in response.get_data(as_text=True)


@pytest.mark.parametrize("persona", ["reader", "moderator"])
def test_only_admins_manage_feeds(request, client, persona, followed):
    login(client, request.getfixturevalue(persona))

    assert client.get("/admin/feeds").status_code == 403
    assert post_form(client, "/admin/feeds", {"url": "https://x.example/feed"}).status_code == 403
    assert post_form(client, f"/admin/feeds/{followed.id}/poll", {}).status_code == 403
    assert post_form(client, f"/admin/feeds/{followed.id}/delete", {}).status_code == 403
    assert count(Feed) == 1


def test_visitors_are_asked_to_log_in(client):
    response = client.get("/admin/feeds")

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
