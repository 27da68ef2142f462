"""The article above its thread, rendered once for every reader who would see the same and
stored as a fragment (forum.core.pagecache): rendering it asks for a dozen translations,
and nearly every reader sees the same article."""

from __future__ import annotations

import hashlib

from babel.lists import format_list
from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from forum.articles.permissions import can_edit_articles
from forum.articles.queries import ArticlePage
from forum.core.i18n import current_language
from forum.core.pagecache import fragment_key, get_fragments, put_fragments
from forum.discussions.models import Discussion

TEMPLATE = "articles/_article.html"


def article_html(shown: ArticlePage, discussion: Discussion) -> Markup:
    """The article (with its further reading, author and groups) and the list of its
    discussions the reader may see, ``discussion`` the one shown below.

    Keyed by everything it shows: the article's own words, its reading, its groups' names,
    each listed discussion's group and count, and what differs between readers (language,
    time zone, whether they are signed in and may edit articles), so an entry is never stale,
    only unused."""
    article = shown.article
    listed = tuple(
        (each.id, each.post_count, each.group.slug, each.group.name, each.group.visibility.value)
        for each in shown.group_discussions
    )
    key = fragment_key(
        "article",
        request.script_root,
        current_language(),
        getattr(current_user, "timezone", None),
        current_user.is_authenticated,
        can_edit_articles(current_user),
        article.id,
        article.slug,
        article.title,
        article.publication,
        article.author_name,
        article.author_bio,
        article.published_at,
        article.is_hidden,
        # A digest: the key is kept beside the fragment, and the text is most of its size.
        hashlib.blake2b(article.body_html.encode(), digest_size=16).digest(),
        tuple(tuple(reading) for reading in shown.readings),
        tuple(shown.groups),
        discussion.id,
        listed,
    )
    html = get_fragments([key])[0]
    if html is None:
        html = render_template(
            TEMPLATE,
            article=article,
            readings=shown.readings,
            article_groups=shown.groups,
            discussion=discussion,
            group_discussions=shown.group_discussions,
            list_of=list_of,
        )
        put_fragments({key: html})
    # Stored from our own template's output, which escaped what people wrote.
    return Markup(html)  # nosec B704


def list_of(items: list[Markup]) -> Markup:
    """``items`` (already escaped) as one list in the reader's language: "A, B and C"."""
    # The separators come from the locale's data, never from users.
    return Markup(format_list(items, locale=get_locale()))  # nosec B704
