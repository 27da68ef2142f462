"""Reads for the embed: comment counts for a blog's article lists."""

from __future__ import annotations

from sqlalchemy import and_, or_, select

from forum.articles.models import Article
from forum.discussions.models import Discussion
from forum.extensions import db


def comment_counts(slugs: list[str], urls: list[str]) -> dict[str, int]:
    """Comments in each public discussion, keyed as asked (slug or URL), in one query.

    Hidden articles and unknown keys are left out: a blog cannot learn more than a reader can.
    """
    if not slugs and not urls:
        return {}
    rows = db.session.execute(
        select(Article.slug, Article.source_url, Discussion.post_count)
        .join(
            Discussion,
            and_(Discussion.article_id == Article.id, Discussion.group_id.is_(None)),
        )
        .where(
            Article.is_hidden.is_(False),
            or_(Article.slug.in_(slugs), Article.source_url.in_(urls)),
        )
    ).all()
    counts: dict[str, int] = {}
    for slug, source_url, count in rows:
        if slug in slugs:
            counts[slug] = count
        if source_url in urls:
            counts[source_url] = count
    return counts
