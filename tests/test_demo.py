"""`forum demo` on an empty database: migrations, then articles, a group, people and talk."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import create_app
from forum.accounts.models import Role, User
from forum.accounts.services import authenticate
from forum.articles.models import Article, article_groups
from forum.demo.services import ACCOUNTS, GROUP_NAME, demo_article_paths
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership

COUNTED = {
    "users": User,
    "articles": Article,
    "posts": Post,
    "groups": Group,
    "memberships": Membership,
}


@pytest.fixture
def demo_app(tmp_path):
    """An app on its own empty SQLite file: the demo must build the schema itself."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'demo.db'}",
            "MAIL_URL": "locmem://",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run_demo(app):
    # The command runs in whatever app context is current, so make it the demo's.
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def counts(app) -> dict[str, int]:
    with app.app_context():
        found = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in COUNTED.items()
        }
        found["article_groups"] = db.session.scalar(
            select(func.count()).select_from(article_groups)
        )
        db.session.remove()
    return found


def test_demo_loads_articles_group_people_and_a_discussion(demo_app):
    run_demo(demo_app)
    assert counts(demo_app) == {
        # Two more people and five more posts for the moderation queue (forum/moderation/demo.py).
        "users": 5 + 2,
        "articles": len(demo_article_paths()),
        "posts": 22 + 5,
        "groups": 1,
        "memberships": 5,
        "article_groups": len(demo_article_paths()),
    }
    assert len(demo_article_paths()) >= 3
    with demo_app.app_context():
        group = db.session.scalar(select(Group))
        assert group.name == GROUP_NAME
        assert group.description
        roles = {m.user.email: m.role for m in db.session.scalars(select(Membership))}
        assert roles["organiser@example.com"] is MemberRole.ORGANISER
        assert {user.role for user in db.session.scalars(select(User))} == set(Role)

        first = db.session.scalar(
            select(Article).where(Article.slug.startswith("when-the-coast-moves-inland"))
        )
        posts = list(
            db.session.scalars(
                select(Post).join(Post.discussion).where(Discussion.article_id == first.id)
            )
        )
        assert len(posts) >= 12
        assert max(post.depth for post in posts) >= 3
        # The readers' conversation is published; the demo's moderation adds a held post by a
        # newcomer and a rejected one.
        assert sum(post.state is PostState.PUBLISHED for post in posts) >= 12
        # The figures were read from the captions, the repeated caption pair counted once.
        assert [figure.credit for figure in first.figures] == [
            "Field Notes/Amara Okafor/Files",
            "Field Notes/Tomasz Wierzbicki",
        ]
        assert first.author_name == "Marisol Etxeberria"
        assert len(first.further_reading) == 3
        db.session.remove()


def test_running_the_demo_twice_changes_nothing(demo_app):
    run_demo(demo_app)
    before = counts(demo_app)
    output = run_demo(demo_app)
    assert counts(demo_app) == before
    assert "nothing changed" in output


def test_the_output_names_every_role_with_a_password_that_works(demo_app):
    output = run_demo(demo_app)
    for label in ("Site admin", "Moderator", "Group organiser", "Reader"):
        assert label in output
    with demo_app.app_context():
        for account in ACCOUNTS:
            line = next(line for line in output.splitlines() if account.email in line)
            assert account.label in line
            assert f"password: {account.password}" in line
            assert authenticate(account.email, account.password).role is account.role
        db.session.remove()


def test_the_demo_pages_show(demo_app):
    run_demo(demo_app)
    client = demo_app.test_client()
    with demo_app.app_context():
        slug = db.session.scalar(
            select(Article.slug).where(Article.slug.startswith("when-the-coast-moves-inland"))
        )
        db.session.remove()
    group_page = client.get("/groups/great-decisions-discussion-group")
    assert group_page.status_code == 200
    html = group_page.get_data(as_text=True)
    assert "Olive Brennan" in html
    assert f'href="/articles/{slug}"' in html
    article_page = client.get(f"/articles/{slug}")
    assert article_page.status_code == 200
    assert "Planned relocation sounds sensible on paper" in article_page.get_data(as_text=True)
