"""The discussion on a blog: Forum's embed on a page served from another origin on loopback."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import free_port
from tests.browser.test_journeys import log_in, make_article, publish_without_review

DEMO = Path(__file__).resolve().parents[2] / "docs" / "embed-demo.html"
SLUG = "the-arctic-thaw-opens-a-crowded-ocean"


@pytest.fixture
def blog(tmp_path, live_server):
    """The docs' demo blog page, served from a second origin, pointing at the live Forum."""
    (tmp_path / "index.html").write_text(DEMO.read_text().replace("FORUM_URL", live_server.url))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    live_server.app.config["EMBED_SITES"] = [origin]
    yield origin
    live_server.app.config.pop("EMBED_SITES", None)
    server.shutdown()
    server.server_close()


def test_a_reader_logs_in_and_posts_without_leaving_the_blog(app, live_server, blog, page):
    publish_without_review(app)
    make_article(app, title="The Arctic Thaw Opens a Crowded Ocean")
    with app.app_context():
        factories.make_user("rhea@example.org", "Rhea Reader")

    page.goto(f"{blog}/index.html")
    # The count in the blog's own text, filled from Forum across origins.
    expect(page.locator(f"[data-forum-count='{SLUG}']")).to_have_text("0 comments")
    frame = page.frame_locator("iframe.forum-discussion")
    expect(frame.get_by_role("heading", name="0 comments on Forum")).to_be_visible()

    with page.expect_popup() as popup_info:
        frame.get_by_role("link", name="Log in to comment").click()
    popup = popup_info.value
    log_in(popup, "rhea@example.org")
    popup.wait_for_event("close")

    # The frame reloaded itself when the popup said the reader is in.
    frame.get_by_label("Your comment").fill("Read on the blog, answered on the blog.")
    frame.get_by_role("button", name="Post comment").click()
    expect(frame.get_by_role("article", name="Comment by Rhea Reader")).to_contain_text(
        "Read on the blog, answered on the blog."
    )
    expect(frame.get_by_role("heading", name="1 comment on Forum")).to_be_visible()
    assert page.url == f"{blog}/index.html"
    # The frame grew to its content: the host page shows the whole discussion, no inner scroll.
    height = page.locator("iframe.forum-discussion").evaluate("frame => frame.offsetHeight")
    assert height > 250
