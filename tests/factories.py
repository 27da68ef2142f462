"""Plain ``make_*`` factories: rows as the services would leave them, flushed not committed."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from forum.accounts.models import Role, User
from forum.core.db import utc_now
from forum.core.text import slugify
from forum.extensions import db

PASSWORD = "correct horse battery"


def make_user(
    email: str,
    name: str,
    *,
    password: str = PASSWORD,
    verified: bool = True,
    role: str = "reader",
    timezone: str = "UTC",
) -> User:
    user = User(
        email=email,
        username=slugify(name, 40),
        display_name=name,
        password_hash=generate_password_hash(password, method="pbkdf2:sha256:1"),
        role=Role(role),
        email_verified_at=utc_now() if verified else None,
        timezone=timezone,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_article(title: str = "Beijing Signals", **values):
    """An article with its public discussion, as an import leaves it."""
    from forum.articles.models import Article
    from forum.discussions.services import ensure_public_discussion

    values.setdefault("slug", slugify(title))
    values.setdefault("body_md", "First paragraph.\n\nSecond paragraph.")
    values.setdefault("body_html", "<p>First paragraph.</p>\n<p>Second paragraph.</p>")
    values.setdefault("author_name", "Wen Author")
    values.setdefault("publication", "Foreign Policy Blogs")
    article = Article(title=title, **values)
    db.session.add(article)
    db.session.flush()
    ensure_public_discussion(article)
    db.session.commit()
    return article


def public_discussion(article):
    from forum.discussions.services import ensure_public_discussion

    return ensure_public_discussion(article)


def make_post(discussion, author: User, body: str = "A thoughtful comment.", parent=None, **values):
    """A published post written straight to the table (the services are tested on their own)."""
    from forum.core.text import render_markdown
    from forum.discussions.models import Post

    post = Post(
        discussion_id=discussion.id,
        author_id=author.id,
        body_md=body,
        body_html=render_markdown(body),
        **values,
    )
    db.session.add(post)
    db.session.flush()
    post.place_under(parent)
    if parent:
        parent.reply_count += 1
    discussion.post_count += 1
    db.session.commit()
    return post
