"""Search over articles and published posts, with the viewer's visibility applied.

One interface, two engines: SQLite FTS5 (the embedded default) and PostgreSQL full-text
(GIN indexes over ``to_tsvector``). Both get the same words: the query is reduced to its words
before either engine sees it, so no operator syntax (quotes, ``*``, ``NEAR(``, ``OR``) reaches
the engine and every input is a valid query. All the words must match (a post about "arctic
shipping" is found by "arctic shipping", not by "arctic" alone ranked below it).

A page costs the same few queries however many match: the window's edge (SQLite), the best
visible posts, the best visible articles, the capped count, and the page's objects. Posts are
ranked from the index alone before any post row is read, and only the page's texts are
snippeted (see _ranked_page and _fts5_snippets for why).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.accounts.permissions import is_admin, is_signed_in
from forum.articles.models import Article, article_groups
from forum.articles.permissions import can_edit_articles
from forum.core.pagination import Page
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db
from forum.groups.models import Group, GroupSession, Membership, MemberState, Visibility
from forum.search.models import (
    FTS5_TOKENIZER,
    PG_ARTICLE_COLUMN,
    PG_CONFIG,
    PG_POST_COLUMN,
    PG_TITLE_COLUMN,
)

PER_PAGE = 20
# Counting every match of a common word costs as much as ranking them; past this many the
# page says "more than" and offers no later pages, as search engines do.
MAX_RESULTS = 1_000
MAX_WORDS = 12
# A word in a tenth of all posts matches tens of thousands; ranking them all costs more than
# the page may. Past this many matches only the newest are ranked: recent conversation is what
# a reader searching a common word most likely wants.
RANKED_WINDOW = 5_000
# How many of the best matches are looked up first for who may see them (see _ranked_page).
CANDIDATES = 200
PG_RECENT_POSTS = 10_000
SNIPPET_WORDS = 24
# Private-use characters mark the matched words in snippets: they survive HTML escaping and
# cannot come from a form (which the markers then turn into <mark>).
START, STOP = "\ue000", "\ue001"
_WORD = re.compile(r"\w+", re.UNICODE)
# Posts and articles keep their tsvector in a stored column (PostgreSQL only, so not in the
# models), indexed with GIN: matching and ranking read it; articles keep their title's too,
# which ranks them.
_PG_POST_VECTOR = literal_column(f"posts.{PG_POST_COLUMN}")
_PG_TITLE_VECTOR = literal_column(f"articles.{PG_TITLE_COLUMN}")
_PG_ARTICLE_VECTOR = literal_column(f"articles.{PG_ARTICLE_COLUMN}")


@dataclass
class Filters:
    """Narrow a search: to an article's discussions, a group's, an author's posts, dates."""

    article: Article | None = None
    group: Group | None = None
    author: User | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Hit:
    kind: str  # "article" or "post"
    snippet: Markup
    article: Article | None = None
    post: Post | None = None

    @property
    def title(self) -> str:
        """What the result is about: the article, or the group session of the discussion."""
        if self.article is not None:
            return self.article.title
        session = self.post.discussion.session if self.post else None
        return session.title if session else ""


@dataclass
class Results:
    words: list[str]
    page: Page
    hits: list[Hit] = field(default_factory=list)

    @property
    def is_capped(self) -> bool:
        return self.page.total >= MAX_RESULTS


def words_of(text: str | None) -> list[str]:
    """The words of a query, lower-cased, without operators or punctuation."""
    found = [word.lower() for word in _WORD.findall(text or "") if word.strip("_")]
    return found[:MAX_WORDS]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# The engines -----------------------------------------------------------------------------


def _fts5_query(words: list[str]) -> str:
    # Each word quoted is a plain term for FTS5 (words hold no quotes: \w only).
    return " ".join(f'"{word}"' for word in words)


def _pg_query(words: list[str]) -> ColumnElement:
    return func.plainto_tsquery(literal_column(PG_CONFIG), " ".join(words))


def _post_match(words: list[str], recent: bool) -> tuple[Select, bool]:
    """Matching post ids (``id``) with a score (``score``, lower is better), read from the
    index alone; with ``recent``, within the ranked window of recent posts. Also says whether
    the window left any posts out."""
    if _dialect() == "postgresql":
        matches = _PG_POST_VECTOR.op("@@")(_pg_query(words))
        score = -func.ts_rank_cd(_PG_POST_VECTOR, _pg_query(words))
        statement = select(Post.id.label("id"), score.label("score")).where(matches)
        if not recent:
            return statement, False
        # Ranking a common word's matches reads every one of their vectors, and finding the
        # newest N matches reads them all: the window is the newest posts instead, found by
        # the primary key. A rare word that finds too little there is searched again in full.
        newest = db.session.scalar(select(func.max(Post.id))) or 0
        if newest <= PG_RECENT_POSTS:
            return statement, False
        return statement.where(Post.id > newest - PG_RECENT_POSTS), True
    index = table("posts_search", column("rowid"))
    matches = literal_column("posts_search").op("MATCH")(_fts5_query(words))
    score = func.bm25(literal_column("posts_search"))
    statement = select(index.c.rowid.label("id"), score.label("score")).where(matches)
    # FTS5 walks a word's matches in rowid order, so finding the window's edge is cheap.
    oldest = db.session.scalar(
        select(index.c.rowid)
        .where(matches)
        .order_by(index.c.rowid.desc())
        .offset(RANKED_WINDOW - 1)
        .limit(1)
    )
    return (statement.where(index.c.rowid >= oldest), True) if oldest else (statement, False)


def _article_match(words: list[str]) -> Select:
    if _dialect() == "postgresql":
        query = _pg_query(words)
        # Ranked by the title's stored vector: a whole article's would have to be parsed
        # again, as much as a hundred posts'. Weighted up: an article about the words is a
        # better answer than one reply using them.
        score = -func.ts_rank_cd(_PG_TITLE_VECTOR, query) * 2 - 0.1
        return select(Article.id, score.label("score")).where(_PG_ARTICLE_VECTOR.op("@@")(query))
    index = table("articles_search", column("rowid"))
    # The title counts five times the body.
    score = func.bm25(literal_column("articles_search"), 5.0, 1.0) * 2
    return (
        select(Article.id, score.label("score"))
        .select_from(index)
        .join(Article, Article.id == index.c.rowid)
        .where(literal_column("articles_search").op("MATCH")(_fts5_query(words)))
    )


def _pg_headlines(words: list[str], text, key, ids: list[int]) -> dict[int, str]:
    headline = func.ts_headline(
        literal_column(PG_CONFIG),
        text,
        _pg_query(words),
        f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords=8",
    )
    return dict(db.session.execute(select(key, headline).where(key.in_(ids))).all())


def _fts5_snippets(words: list[str], texts: dict[int, str]) -> dict[int, str]:
    """FTS5's own snippets of the page's texts, from an index of just those texts.

    The site's index would do the same, but FTS5 finds a row's matches by reading the word's
    whole list of matching rows: a word in a tenth of 300,000 posts costs a millisecond per
    snippet there, and a page of twenty in a throwaway in-memory index costs one in all. The
    tokenizer is the site index's, so the same words are marked.
    """
    if not texts:
        return {}
    memory = sqlite3.connect(":memory:")
    try:
        # DDL from this package's constant tokenizer, never from input.
        memory.execute(f"CREATE VIRTUAL TABLE page USING fts5(body, {FTS5_TOKENIZER})")  # nosec B608
        memory.executemany("INSERT INTO page(rowid, body) VALUES (?, ?)", texts.items())
        rows = memory.execute(
            "SELECT rowid, snippet(page, 0, ?, ?, '…', ?) FROM page WHERE page MATCH ?",
            (START, STOP, SNIPPET_WORDS, _fts5_query(words)),
        )
        return dict(rows.fetchall())
    finally:
        memory.close()


def _post_snippets(words: list[str], posts: list[Post]) -> dict[int, str]:
    if not posts:
        return {}
    if _dialect() == "postgresql":
        return _pg_headlines(words, Post.body_md, Post.id, [post.id for post in posts])
    return _fts5_snippets(words, {post.id: post.body_md for post in posts})


def _article_snippets(words: list[str], articles: list[Article]) -> dict[int, str]:
    if not articles:
        return {}
    if _dialect() == "postgresql":
        ids = [article.id for article in articles]
        return _pg_headlines(words, Article.body_md, Article.id, ids)
    # The body only, as the site's index snippets its body column (the title is shown apart).
    return _fts5_snippets(words, {article.id: article.body_md for article in articles})


def highlighted(snippet: str) -> Markup:
    """A snippet as HTML: its text escaped, the matched words in <mark>."""
    html = escape(" ".join(snippet.split()), quote=False)
    # Escaped above; only the match markers become markup.
    return Markup(html.replace(START, "<mark>").replace(STOP, "</mark>"))  # nosec B704


# Visibility ------------------------------------------------------------------------------


def _visible_groups(viewer) -> ColumnElement:
    """Group discussions the viewer may read: public groups', and members-only groups' to
    their active members."""
    if is_admin(viewer):
        return literal(True)
    public = Group.visibility == Visibility.PUBLIC
    if not is_signed_in(viewer):
        return public
    member_of = select(Membership.group_id).where(
        Membership.user_id == viewer.id, Membership.state == MemberState.ACTIVE
    )
    return or_(public, Group.id.in_(member_of))


def _visible_posts(viewer, statement: Select, filters: Filters) -> Select:
    """Published posts in discussions the viewer may read, narrowed by the filters."""
    statement = (
        statement.join(Discussion, Discussion.id == Post.discussion_id)
        # A group session's discussion has no article.
        .outerjoin(Article, Article.id == Discussion.article_id)
        .outerjoin(Group, Group.id == Discussion.group_id)
        .where(
            Post.state == PostState.PUBLISHED,
            or_(Discussion.group_id.is_(None), _visible_groups(viewer)),
        )
    )
    if not can_edit_articles(viewer):
        statement = statement.where(or_(Article.id.is_(None), Article.is_hidden.is_(False)))
    if filters.article is not None:
        statement = statement.where(Article.id == filters.article.id)
    if filters.group is not None:
        statement = statement.where(Discussion.group_id == filters.group.id)
    if filters.author is not None:
        statement = statement.where(Post.author_id == filters.author.id)
    if filters.since is not None:
        statement = statement.where(Post.created_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(Post.created_at < filters.until)
    return statement


def _visible_articles(viewer, statement: Select, filters: Filters) -> Select:
    if not can_edit_articles(viewer):
        statement = statement.where(Article.is_hidden.is_(False))
    if filters.author is not None:
        # Authors of posts are members; articles have no member author to match.
        return statement.where(false())
    if filters.article is not None:
        statement = statement.where(Article.id == filters.article.id)
    if filters.group is not None:
        discussed = select(article_groups.c.article_id).where(
            article_groups.c.group_id == filters.group.id
        )
        statement = statement.where(Article.id.in_(discussed))
    if filters.since is not None:
        statement = statement.where(Article.published_at >= filters.since)
    if filters.until is not None:
        statement = statement.where(Article.published_at < filters.until)
    return statement


# The search ------------------------------------------------------------------------------


def search(
    viewer,
    text: str | None,
    page: int = 1,
    filters: Filters | None = None,
    per_page: int = PER_PAGE,
) -> Results:
    """The ``page``'th page of what matches ``text``, best first, that ``viewer`` may see."""
    filters = filters or Filters()
    words = words_of(text)
    last_page = MAX_RESULTS // per_page
    page = min(max(page, 1), last_page)
    if not words:
        return Results(words=[], page=Page(items=[], number=1, per_page=per_page, total=0))

    rows, total, windowed = _ranked_page(viewer, words, filters, page, per_page, recent=True)
    if windowed and total < page * per_page and _dialect() == "postgresql":
        rows, total, _ = _ranked_page(viewer, words, filters, page, per_page, recent=False)
    hits = _hits(words, rows)
    return Results(
        words=words,
        page=Page(items=hits, number=page, per_page=per_page, total=total),
        hits=hits,
    )


def _ranked_page(
    viewer, words: list[str], filters: Filters, page: int, per_page: int, recent: bool
) -> tuple[list[tuple[str, int]], int, bool]:
    """One page of (kind, id), best first, the (capped) number of matches, and whether a
    window of recent posts left some out."""
    wanted = page * per_page
    matches, windowed = _post_match(words, recent)
    # Rank first, from the index alone, and look up only the best candidates' posts and
    # discussions for who may see them: joining every match (thousands for a common word)
    # costs more than ranking them. Exact: a visible post outside the candidates ranks below
    # all of them, so when enough candidates are visible the page is theirs; else every match
    # is looked up (cheap when there are few, and rare when there are many).
    limit = max(CANDIDATES, 4 * wanted)
    candidates = matches.order_by(
        matches.selected_columns.score, matches.selected_columns.id
    ).limit(limit)
    posts, considered = _visible_page_of_posts(
        viewer, candidates.cte("candidates"), filters, wanted
    )
    if len(posts) < wanted and not (posts and considered < limit):
        posts, _ = _visible_page_of_posts(viewer, matches.cte("matches"), filters, wanted)
    articles = _visible_articles(viewer, _article_match(words), filters)
    ranked_articles = db.session.execute(
        articles.order_by(articles.selected_columns.score, Article.id).limit(wanted)
    ).all()
    best = sorted(
        [(score, "article", row_id) for row_id, score in ranked_articles]
        + [(score, "post", row_id) for row_id, score in posts]
    )
    rows = [(kind, row_id) for _, kind, row_id in best[wanted - per_page : wanted]]
    # Counted without the scores: PostgreSQL would compute them for every match.
    matched = matches.with_only_columns(matches.selected_columns.id).subquery()
    visible = _visible_posts(
        viewer, select(Post.id).join(matched, matched.c.id == Post.id), filters
    )
    ids = union_all(articles.with_only_columns(Article.id), visible)
    capped = ids.limit(MAX_RESULTS).subquery()
    total = db.session.scalar(select(func.count()).select_from(capped)) or 0
    return rows, total, windowed


def _visible_page_of_posts(
    viewer, matches, filters: Filters, wanted: int
) -> tuple[list[tuple[int, float]], int]:
    """The best ``wanted`` of ``matches`` (a CTE of id and score) that the viewer may see,
    as (id, score), and how many matches were considered (read once: the CTE is kept)."""
    considered = select(func.count()).select_from(matches).scalar_subquery()
    statement = _visible_posts(
        viewer,
        select(Post.id, matches.c.score, considered.label("considered")).join(
            matches, matches.c.id == Post.id
        ),
        filters,
    )
    rows = db.session.execute(statement.order_by(matches.c.score, Post.id).limit(wanted)).all()
    return [(row.id, row.score) for row in rows], (rows[0].considered if rows else 0)


def _hits(words: list[str], rows: list[tuple[str, int]]) -> list[Hit]:
    """The page's articles and posts, loaded with what their results show."""
    post_ids = [row_id for kind, row_id in rows if kind == "post"]
    article_ids = [row_id for kind, row_id in rows if kind == "article"]
    posts = (
        {
            post.id: post
            for post in db.session.scalars(
                select(Post)
                .where(Post.id.in_(post_ids))
                .options(
                    joinedload(Post.author),
                    joinedload(Post.discussion).joinedload(Discussion.article),
                    joinedload(Post.discussion).joinedload(Discussion.group),
                    # Only the title: a result names the session, nothing more.
                    joinedload(Post.discussion)
                    .joinedload(Discussion.session)
                    .load_only(GroupSession.title),
                )
            )
        }
        if post_ids
        else {}
    )
    articles = (
        {
            article.id: article
            for article in db.session.scalars(select(Article).where(Article.id.in_(article_ids)))
        }
        if article_ids
        else {}
    )
    post_snippets = _post_snippets(words, list(posts.values()))
    article_snippets = _article_snippets(words, list(articles.values()))
    hits = []
    for kind, row_id in rows:
        if kind == "post":
            post = posts[row_id]
            snippet = post_snippets.get(row_id) or post.body_md[:200]
            hits.append(Hit("post", highlighted(snippet), post.discussion.article, post))
        else:
            article = articles[row_id]
            snippet = article_snippets.get(row_id) or article.summary
            hits.append(Hit("article", highlighted(snippet), article))
    return hits
