"""The benchmark's generator and query counts at a tiny scale (the full run is `make bench`)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench.generate import BENCH_POSTS, generate
from bench.run import count_queries, pages
from forum import create_app
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db

# Issue 6's budget: the banners and the navigation's moderation state share one query, the
# moderation queue reads its authors' group memberships once for the page.
MAX_QUERIES = 12
# Posting a reply (13 statements before): the user with the viewer's moderation state, the
# parent, one check for a double submission, the follow and webhooks, the policy; the INSERT,
# the two counters and the new post's path. Nothing is read back after the commit. (The
# reader already follows the discussion: a first reply there also inserts the follow.)
REPLY_MAX_QUERIES = 8


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A tiny generated data set in its own SQLite file, with its own app."""
    path = tmp_path_factory.mktemp("bench") / "bench.db"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            # The budget is for rendering a page; the cache would answer with one query.
            "PAGE_CACHE": False,
        }
    )
    manifest = generate(app, scale=0.003, say=lambda message: None)
    yield app, manifest
    with app.app_context():
        db.engine.dispose()


def test_the_data_has_the_shapes_the_measurements_need(generated):
    app, manifest = generated
    with app.app_context():
        bench = db.session.scalars(
            select(Post).where(Post.discussion_id == manifest.bench_discussion_id)
        ).all()
        assert len(bench) == BENCH_POSTS
        assert all(post.state is PostState.PUBLISHED for post in bench)
        # All 200 show on the first page: one page of top-level posts, replies within depth.
        roots = [post for post in bench if post.parent_id is None]
        assert len(roots) <= app.config["POSTS_PER_PAGE"]
        assert max(post.depth for post in bench) < app.config["MAX_THREAD_DEPTH"]

        # Rows as the services leave them: paths, roots, depths, counters.
        posts = {post.id: post for post in db.session.scalars(select(Post))}
        children: dict[int, int] = {}
        for post in posts.values():
            if post.parent_id is not None:
                parent = posts[post.parent_id]
                children[parent.id] = children.get(parent.id, 0) + 1
                assert post.path == f"{parent.path}{post.id:010d}/"
                assert post.depth == parent.depth + 1
                assert post.root_id == (parent.root_id or parent.id)
        assert all(post.reply_count == children.get(post.id, 0) for post in posts.values())
        published = dict(
            db.session.execute(
                select(Post.discussion_id, func.count())
                .where(Post.state == PostState.PUBLISHED)
                .group_by(Post.discussion_id)
            ).all()
        )
        for discussion in db.session.scalars(select(Discussion)):
            assert discussion.post_count == published.get(discussion.id, 0)
        assert max(post.depth for post in posts.values()) >= 20  # the deep discussions
        assert manifest.hot_pages > 1


def test_every_measured_page_answers_within_the_query_budget(generated):
    app, manifest = generated
    results = pages(manifest)
    reply = count_queries(app, manifest, results)
    answered = {page.name: page for page in results if page.status == 200}
    # The moderation queue is measured once it exists.
    assert set(answered) >= {page.name for page in results} - {"moderation queue"}
    over = {page.name: page.queries for page in answered.values() if page.queries > MAX_QUERIES}
    assert over == {}
    assert reply["status"] == 302
    assert reply["queries"] <= REPLY_MAX_QUERIES, reply["queries"]
    # A 200-post page and the hot discussion's pages cost the same: nothing per post.
    threads = [name for name in answered if "discussion" in name or "200 posts, anon" in name]
    assert len({answered[name].queries for name in threads}) == 1
    search = answered["search"]
    assert search.bytes > 0 and "<mark>" in app.test_client().get(search.path).get_data(
        as_text=True
    )
