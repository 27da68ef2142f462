"""What the scripts write on a page comes in the page's language: the vote button's new word,
and on a French blog the comment counts and the discussion frame's name."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import free_port
from tests.browser.test_journeys import article_of, expect_status, log_in, make_article

SLUG = "la-fonte-arctique"
FRENCH_BLOG = """<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>Un blog</title></head>
<body>
  <h1>La fonte arctique</h1>
  <p>Commentaires : <span data-forum-count="{slug}">voir plus bas</span></p>
  <script src="{forum}/static/js/embed.js" data-forum-article="{slug}" async></script>
</body>
</html>
"""


@pytest.fixture
def french_blog(tmp_path, live_server):
    (tmp_path / "index.html").write_text(FRENCH_BLOG.format(forum=live_server.url, slug=SLUG))
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


def test_a_vote_without_a_reload_shows_the_french_word(app, live_server, page):
    with app.app_context():
        factories.make_user("rita@example.org", "Rita Reader")
        otto = factories.make_user("otto@example.org", "Otto Other")
        article = factories.make_article("Critical Minerals")
        factories.make_post(factories.public_discussion(article), otto, "Supply chains matter.")
        slug = article.slug

    log_in(page, "rita@example.org")
    expect_status(page, "Rita Reader")
    page.goto(f"/language/fr?next=/articles/{slug}")
    page.evaluate("window.stillTheSamePage = true")

    comment = article_of(page, "Commentaire de Otto Other", "Supply chains matter.")
    comment.get_by_role("button", name="Voter pour").click()
    expect(comment.get_by_role("button", name="Vote donné")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(comment.locator(".vote-count")).to_have_text("1")
    assert page.evaluate("window.stillTheSamePage") is True


def test_a_french_blog_gets_french_counts_and_a_french_frame(app, live_server, french_blog, page):
    make_article(app, title="La fonte arctique")

    page.goto(f"{french_blog}/index.html")

    expect(page.locator(f"[data-forum-count='{SLUG}']")).to_have_text("0 commentaire")
    frame = page.locator("iframe.forum-discussion")
    # Named with the discussion's own title once it has loaded (the reader's browser is
    # English here, so the frame's words are English; the blog's count follows the blog).
    expect(frame).to_have_attribute("title", "Discussion of “La fonte arctique” · Forum")
