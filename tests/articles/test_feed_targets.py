"""Feeds are read only from the internet: an address inside the network (loopback, private, a
cloud's metadata service at 169.254.169.254…) is refused when an admin saves it, beside the
field with the text kept, again at each fetch, and as the target of any redirect.

The blogs here are real HTTP servers on loopback. For a "public" blog that redirects inside,
IPv6's loopback (::1) stands in for the internet: the check is told it is public, every other
address (127.0.0.1 included) is judged by the real rule."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.articles import feeds
from forum.articles.feedformat import FeedFormatError
from forum.articles.fetching import fetch
from forum.articles.models import Article, Feed
from forum.core import outbound
from forum.core.errors import ValidationFailed
from forum.extensions import db
from tests.conftest import login, post_form

RSS = (Path(__file__).parent / "fixtures" / "rss.xml").read_bytes()
STAND_IN = "::1"
INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:8080/feed",
    "http://10.0.0.7/feed.xml",
    "http://[::1]/feed",
    "http://[::ffff:192.168.1.1]/feed",
    "https://localhost/feed",
]


class IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Blog:
    """Serves the RSS fixture, or a 302 to ``location``; records the paths asked."""

    def __init__(self, host: str = "127.0.0.1", location: str | None = None):
        self.asked: list[str] = []
        blog = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                blog.asked.append(self.path)
                if location:
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(RSS)))
                self.end_headers()
                self.wfile.write(RSS)

            def log_message(self, *args):
                pass

        server_class = ThreadingHTTPServer if ":" not in host else IPv6Server
        self.server = server_class((host, 0), Handler)
        name = f"[{host}]" if ":" in host else host
        self.url = f"http://{name}:{self.server.server_port}/feed/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inside():
    running = Blog()
    yield running
    running.close()


@pytest.fixture
def stand_in_internet(monkeypatch):
    judged = outbound._is_public
    monkeypatch.setattr(
        outbound, "_is_public", lambda address: str(address) == STAND_IN or judged(address)
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("url", INTERNAL)
def test_an_internal_feed_address_is_refused_when_saved(admin, url):
    with pytest.raises(ValidationFailed) as refused:
        feeds.add_feed(admin, url)

    assert refused.value.field == "url"
    assert "is an address inside the network" in refused.value.message
    assert count(Feed) == 0


def test_the_admin_is_told_beside_the_field_and_keeps_the_text(client, admin):
    login(client, admin)
    url = "http://169.254.169.254/latest/meta-data/"

    response = post_form(client, "/admin/feeds", {"url": url}, page="/admin/feeds")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="url-error"' in html
    assert (
        "169.254.169.254 is an address inside the network (169.254.169.254): feeds are read "
        "only from systems reachable from the internet."
    ) in html
    assert f'value="{url}"' in html
    assert count(Feed) == 0


def test_a_french_admin_is_told_in_french(client, admin):
    login(client, admin)

    response = post_form(
        client, "/admin/feeds", {"url": "http://10.0.0.7/feed.xml"}, page="/admin/feeds",
        headers={"Accept-Language": "fr"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "10.0.0.7 est une adresse interne au réseau (10.0.0.7)" in response.get_data(
        as_text=True
    )


def test_a_feed_that_is_internal_by_fetch_time_is_not_fetched(app, admin, inside, monkeypatch):
    """Saved while the setting allowed it (or while its name pointed outside): each poll
    checks again, asks nothing, and records why."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)
    feeds.add_feed(admin, inside.url)
    db.session.commit()
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", False)

    [result] = feeds.poll_due_feeds()

    assert result.status == "failed"
    assert result.message.startswith("Refused: 127.0.0.1 is an internal address (127.0.0.1)")
    assert inside.asked == [] and count(Article) == 0


def test_forum_import_refuses_an_internal_url(app, inside):
    result = app.test_cli_runner().invoke(args=["import", inside.url])

    assert result.exit_code != 0
    assert "refused: 127.0.0.1 is an internal address" in result.stderr
    assert inside.asked == [] and count(Article) == 0


@pytest.mark.usefixtures("stand_in_internet")
@pytest.mark.parametrize("target", ["inside", "http://169.254.169.254/latest/meta-data/"])
def test_a_public_feed_that_redirects_inside_is_refused(admin, inside, target):
    location = inside.url if target == "inside" else target
    public = Blog(STAND_IN, location=location)
    try:
        feed = feeds.add_feed(admin, public.url)
        db.session.commit()
        [result] = feeds.poll_due_feeds()
    finally:
        public.close()

    assert public.asked == ["/feed/"], "the public blog was asked"
    assert inside.asked == [], "the address it pointed to was not"
    assert result.status == "failed" and result.message.startswith("Refused: ")
    assert "is an internal address" in result.message
    db.session.refresh(feed)
    assert feed.last_failed and count(Article) == 0


@pytest.mark.usefixtures("stand_in_internet")
def test_a_public_feed_is_fetched_with_no_setting(app):
    public = Blog(STAND_IN)
    try:
        fetched = fetch(public.url, 1_000_000)
    finally:
        public.close()
    assert fetched.status == 200 and fetched.body == RSS


def test_no_proxy_from_the_environment_is_used(app, inside, monkeypatch):
    """A proxy would make the connection (to anywhere) in our place: it is not asked."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")

    assert fetch(inside.url, 1_000_000).body == RSS
    assert inside.asked == ["/feed/"]


@pytest.mark.parametrize("url", ["http://[::1/feed", "ftp://blog.example.org/feed"])
def test_a_malformed_address_is_not_fetched(app, url):
    with pytest.raises(FeedFormatError, match="starts with http"):
        fetch(url, 1_000_000)


@pytest.mark.parametrize("location", ["file:///etc/passwd", "data:,<rss/>", "ftp://127.0.0.1/"])
def test_a_redirect_to_another_scheme_is_refused(app, monkeypatch, location):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)
    blog = Blog(location=location)
    try:
        with pytest.raises(FeedFormatError) as refused:
            fetch(blog.url, 1_000_000)
    finally:
        blog.close()
    assert str(refused.value) == (
        f"refused: redirected to {location}, which is not an http(s) address"
    )
