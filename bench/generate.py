"""A realistic data set written quickly: Core bulk inserts of rows shaped as the services leave
them (materialised paths, reply counts, post counts, rendered HTML).

At scale 1: 2,000 articles, 20,000 users, 300,000 posts, 100 groups. Discussions come in
shapes: flat, threaded, deep chains, one hot discussion of 5,000 posts, and the "bench"
discussion of exactly 200 posts that all show on its article's first page.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from sqlalchemy import bindparam, insert, inspect, text
from werkzeug.security import generate_password_hash

from forum.accounts.models import Role, User
from forum.articles.models import Article, Figure, Reading, article_groups
from forum.core.text import render_markdown
from forum.discussions.models import PATH_WIDTH, Discussion, Follow, Post, PostState, Vote
from forum.discussions.versions import create_token_triggers, drop_token_triggers
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership, Visibility
from forum.search.models import create_search_index, drop_search_index

PASSWORD = "bench password 2026"
READER_EMAIL = "bench-reader@example.org"
MODERATOR_EMAIL = "bench-moderator@example.org"
SEARCH_TERM = "sanctions"
HOT_POSTS = 5_000
BENCH_POSTS = 200
BENCH_ROOTS = 20  # one page of top-level posts, so all 200 posts show on the first page
DEEP_DISCUSSIONS = 20
DEEP_POSTS = 150
MAX_DEPTH = 60  # a path of 60 levels is 660 characters, within the column's 1,000
CHUNK = 5_000
START = datetime(2019, 1, 1, tzinfo=UTC)

# Words of the forum's subject, most frequent first; sampled with a Zipf-like weight.
WORDS = (
    "the of and to in that is for it on with as policy this are be not by have was we but "
    "they their at from which its would more about or an if can there what so countries "
    "government china russia united states europe war trade security people economic power "
    "military president should than world political has will think article region climate "
    "energy also alliance nato agreement sanctions treaty border refugees migration arctic "
    "minerals supply chains diplomacy election democracy history argument evidence point "
    "question answer agree disagree interesting important reading session group discussion "
    "summit tariff inflation budget defence deterrence nuclear water drought famine aid "
    "development investment debt markets currency oil gas pipeline shipping ports canal "
    "strait island sovereignty independence ceasefire negotiation mediator envoy embassy "
    "parliament congress senate court constitution reform corruption protest coup junta "
    "ally rival partner neighbour frontier province capital coast mountains river delta"
).split()
WEIGHTS = [1 / (rank + 1) ** 0.9 for rank in range(len(WORDS))]


@dataclass
class Manifest:
    """What the measurements need to find in the generated data."""

    scale: float
    database_url: str
    counts: dict
    bench_slug: str
    bench_discussion_id: int
    bench_post_id: int
    hot_slug: str
    hot_pages: int
    deep_slug: str
    group_slug: str
    search_term: str
    reader_email: str
    moderator_email: str
    password: str
    seconds: float

    def save(self, path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path) -> Manifest:
        return cls(**json.loads(path.read_text()))


def scaled(value: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(value * scale))


class Writer:
    """Inserts rows in chunks and says how far it has got."""

    def __init__(self, connection, say: Callable[[str], None]):
        self.connection = connection
        self.say = say

    def write(self, table, rows: Iterable[dict], total: int | None = None) -> int:
        name = table.name
        started = time.perf_counter()
        done = 0
        reported = 0.0
        chunk: list[dict] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self.connection.execute(insert(table), chunk)
                done += len(chunk)
                chunk = []
                if total and done / total - reported >= 0.2:
                    reported = done / total
                    self.say(f"  {name}: {done:,} of {total:,}")
        if chunk:
            self.connection.execute(insert(table), chunk)
            done += len(chunk)
        self.say(f"  {name}: {done:,} rows in {time.perf_counter() - started:.1f} s")
        return done


class Sentences:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def sentence(self, low: int = 6, high: int = 18) -> str:
        words = self.rng.choices(WORDS, WEIGHTS, k=self.rng.randint(low, high))
        return " ".join(words).capitalize() + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))


@dataclass
class Plan:
    """One discussion's posts to be: its id and shape."""

    discussion_id: int
    size: int
    shape: str  # flat, threaded, deep, bench
    clean: bool = False  # every post published (the measured discussions)


class PostMaker:
    """Post rows with ids assigned here, so paths and root ids are known before inserting."""

    def __init__(self, rng: random.Random, users: int, now: datetime):
        self.rng = rng
        self.users = users
        self.now = now
        self.sentences = Sentences(rng)
        self.next_id = 1
        self.reply_counts: dict[int, int] = {}
        self.published: dict[int, int] = {}
        self.last_post: dict[int, datetime] = {}
        self.follows: set[tuple[int, int]] = set()
        self.published_ids: list[int] = []
        self.authors: dict[int, int] = {}

    def _body(self) -> tuple[str, str]:
        paragraphs = [
            self.sentences.paragraph(self.rng.randint(1, 4)) for _ in range(self.rng.randint(1, 3))
        ]
        # What render_markdown makes of plain paragraphs, without paying for it 300,000 times.
        html = "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in paragraphs)
        return "\n\n".join(paragraphs), html

    def _state(self, clean: bool) -> PostState:
        if clean:
            return PostState.PUBLISHED
        roll = self.rng.random()
        if roll < 0.02:
            return PostState.PENDING
        if roll < 0.03:
            return PostState.DELETED
        return PostState.PUBLISHED

    def _parent(self, plan: Plan, made: list[dict], index: int) -> dict | None:
        if not made:
            return None
        if plan.shape == "flat":
            return None
        if plan.shape == "deep":
            parent = made[-1]
            return parent if parent["depth"] < MAX_DEPTH - 1 else None
        if plan.shape == "bench":
            # The first BENCH_ROOTS posts open threads; the rest reply within the shown depth.
            if index < BENCH_ROOTS:
                return None
            candidates = [post for post in made if post["depth"] < 4]
            return self.rng.choice(candidates)
        if self.rng.random() < 0.35:
            return None
        # Replies favour recent posts, as conversations do.
        window = made[-50:]
        parent = self.rng.choice(window)
        return parent if parent["depth"] < 12 else None

    def posts(self, plan: Plan, start: datetime) -> list[dict]:
        made: list[dict] = []
        moment = start
        for index in range(plan.size):
            moment += timedelta(minutes=self.rng.randint(1, 240))
            moment = min(moment, self.now - timedelta(minutes=1))
            parent = self._parent(plan, made, index)
            if parent is not None and parent["state"] is not PostState.PUBLISHED:
                parent = None
            post_id = self.next_id
            self.next_id += 1
            author = self.rng.randint(1, self.users)
            body_md, body_html = self._body()
            state = self._state(plan.clean)
            row = {
                "id": post_id,
                "discussion_id": plan.discussion_id,
                "parent_id": parent["id"] if parent else None,
                "root_id": (parent["root_id"] or parent["id"]) if parent else None,
                "path": (parent["path"] if parent else "") + f"{post_id:0{PATH_WIDTH}d}/",
                "depth": parent["depth"] + 1 if parent else 0,
                "author_id": author,
                "body_md": body_md,
                "body_html": body_html,
                "state": state,
                "created_at": moment,
                "deleted_at": moment if state is PostState.DELETED else None,
                "score": 0,
                "reply_count": 0,
            }
            made.append(row)
            if parent is not None:
                self.reply_counts[parent["id"]] = self.reply_counts.get(parent["id"], 0) + 1
            if state is PostState.PUBLISHED:
                self.published[plan.discussion_id] = self.published.get(plan.discussion_id, 0) + 1
                self.published_ids.append(post_id)
                self.authors[post_id] = author
            self.last_post[plan.discussion_id] = moment
            self.follows.add((plan.discussion_id, author))
        return made


def _empty_database(app, say) -> None:
    """Drop whatever the database holds, so the schema is built from empty."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Reflection does not see the search indexes' functions; the schema goes whole.
            owner = connection.scalar(text("SELECT current_user"))
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text(f'CREATE SCHEMA public AUTHORIZATION "{owner}"'))
            return
        names = inspect(connection).get_table_names()
        if names:
            say(f"  dropping {len(names)} existing tables")
        connection.execute(text("PRAGMA foreign_keys=OFF"))
        for name in names:
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}"'))


def _fix_sequences(connection) -> None:
    """Rows were written with explicit ids; PostgreSQL's sequences must continue after them."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("users", "groups", "memberships", "articles", "figures", "readings"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
    connection.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('discussions', 'id'), "
            "(SELECT coalesce(max(id), 1) FROM discussions))"
        )
    )
    connection.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('posts', 'id'), "
            "(SELECT coalesce(max(id), 1) FROM posts))"
        )
    )


def generate(app, scale: float = 1.0, seed: int = 2026, say=print) -> Manifest:
    """Empty the app's database, create the models' schema and fill it. Returns the manifest.

    The schema comes from the models (``create_all``), not the migrations, so the benchmark
    measures the code in the checkout even while a model change awaits its migration.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    sentences = Sentences(rng)
    now = datetime.now(UTC).replace(microsecond=0)
    n_users = scaled(20_000, scale, 20)
    n_articles = scaled(2_000, scale, 30)
    n_groups = scaled(100, scale, 3)
    n_posts = scaled(300_000, scale, 1_000)
    hot_posts = min(HOT_POSTS, max(100, n_posts // 10))
    deep_discussions = scaled(DEEP_DISCUSSIONS, scale, 1)
    n_votes = scaled(60_000, scale, 100)

    with app.app_context():
        say("Emptying the database and creating the schema")
        _empty_database(app, say)
        db.create_all()
        with db.engine.begin() as connection:
            # The search index is built once at the end: row by row it would cost ten times
            # the inserts themselves.
            drop_search_index(connection)
            # So are the discussions' content tokens, for the same reason.
            drop_token_triggers(connection)
            writer = Writer(connection, say)
            say(f"Writing {n_users:,} users")
            password_hash = generate_password_hash(PASSWORD, app.config["PASSWORD_HASH_METHOD"])

            def users():
                for user_id in range(1, n_users + 1):
                    email = f"user{user_id}@example.org"
                    role = Role.READER
                    if user_id == 1:
                        email = READER_EMAIL
                    elif user_id == 2:
                        email, role = MODERATOR_EMAIL, Role.MODERATOR
                    yield {
                        "id": user_id,
                        # The reader whose replies are timed is a trusted member, as most
                        # people replying on a live forum are: their replies publish at once
                        # (and are announced), instead of waiting as a newcomer's first posts.
                        "approved_post_count": 50 if user_id == 1 else 0,
                        "email": email,
                        "username": f"reader-{user_id}",
                        "display_name": f"Reader {user_id}",
                        "password_hash": password_hash,
                        "role": role,
                        "email_verified_at": START,
                        "created_at": START + timedelta(minutes=user_id),
                    }

            writer.write(User.__table__, users(), n_users)

            say(f"Writing {n_groups:,} groups and their members")
            writer.write(
                Group.__table__,
                (
                    {
                        "id": group_id,
                        "slug": f"discussion-group-{group_id}",
                        "name": f"Great Decisions Discussion Group {group_id}",
                        "description": sentences.paragraph(3),
                        # One group in five is for members only.
                        "visibility": Visibility.MEMBERS
                        if group_id % 5 == 0
                        else Visibility.PUBLIC,
                        "created_at": START,
                    }
                    for group_id in range(1, n_groups + 1)
                ),
            )
            memberships = []
            for group_id in range(1, n_groups + 1):
                members = rng.sample(range(3, n_users + 1), min(n_users - 3, rng.randint(10, 60)))
                if group_id == 1:
                    members.append(1)
                for index, user_id in enumerate(members):
                    memberships.append(
                        {
                            "group_id": group_id,
                            "user_id": user_id,
                            "role": MemberRole.ORGANISER if index == 0 else MemberRole.MEMBER,
                            "created_at": START,
                        }
                    )
            writer.write(Membership.__table__, memberships)

            say(f"Writing {n_articles:,} articles")
            span = (now - START).total_seconds()

            def articles():
                for article_id in range(1, n_articles + 1):
                    body = "\n\n".join(sentences.paragraph(rng.randint(3, 7)) for _ in range(8))
                    published = START + timedelta(seconds=span * article_id / (n_articles + 1))
                    yield {
                        "id": article_id,
                        "slug": f"article-{article_id}",
                        "title": sentences.sentence(4, 9).rstrip("."),
                        "publication": "Foreign Policy Blogs",
                        "author_name": f"Author {article_id % 97}",
                        "author_bio": sentences.paragraph(2),
                        "published_at": published,
                        "updated_at": published,
                        "body_md": body,
                        "body_html": render_markdown(body),
                        "summary": sentences.sentence(),
                        # A few hidden articles, never the measured ones (the newest).
                        "is_hidden": article_id % 150 == 7,
                        "created_at": published,
                    }

            writer.write(Article.__table__, articles(), n_articles)
            writer.write(
                Figure.__table__,
                (
                    {
                        "article_id": article_id,
                        "position": 0,
                        "after_paragraph": 2,
                        "caption": sentences.sentence(),
                        "credit": "Photo: Bench",
                    }
                    for article_id in range(1, n_articles + 1)
                ),
            )
            writer.write(
                Reading.__table__,
                (
                    {"article_id": article_id, "position": position, "text": sentences.sentence()}
                    for article_id in range(1, n_articles + 1)
                    for position in range(2)
                ),
            )

            say("Writing discussions")
            discussions = [
                {"id": article_id, "article_id": article_id, "group_id": None, "created_at": START}
                for article_id in range(1, n_articles + 1)
            ]
            group_links = []
            for group_id in range(1, n_groups + 1):
                for article_id in rng.sample(range(1, n_articles + 1), min(5, n_articles)):
                    group_links.append({"article_id": article_id, "group_id": group_id})
                for link in group_links[-2:]:
                    discussions.append(
                        {
                            "id": len(discussions) + 1,
                            "article_id": link["article_id"],
                            "group_id": group_id,
                            "created_at": START,
                        }
                    )
            writer.write(article_groups, group_links)

            # The newest articles are the measured ones: they head the lists, as in real use.
            bench_id, hot_id, deep_start = n_articles, n_articles - 1, n_articles - 2
            plans = [
                Plan(bench_id, BENCH_POSTS, "bench", clean=True),
                Plan(hot_id, hot_posts, "threaded"),
            ]
            plans += [
                Plan(deep_start - offset, DEEP_POSTS, "deep") for offset in range(deep_discussions)
            ]
            planned = {plan.discussion_id for plan in plans}
            rest = [row["id"] for row in discussions if row["id"] not in planned]
            remaining = max(0, n_posts - sum(plan.size for plan in plans))
            weights = [rng.paretovariate(1.2) for _ in rest]
            total_weight = sum(weights)
            spread = []
            for discussion_id, weight in zip(rest, weights, strict=True):
                size = int(remaining * weight / total_weight)
                if size:
                    shape = "flat" if rng.random() < 0.3 else "threaded"
                    spread.append(Plan(discussion_id, size, shape))
            if spread:
                # What rounding down left over goes to the busiest discussion.
                busiest = max(spread, key=lambda plan: plan.size)
                busiest.size += remaining - sum(plan.size for plan in spread)
            plans += spread
            maker = PostMaker(rng, n_users, now)
            # Discussions start at their article's publication, or the group's later reading.
            starts = {row["id"]: row["article_id"] for row in discussions}
            all_posts = []
            for plan in plans:
                article_id = starts[plan.discussion_id]
                start = START + timedelta(seconds=span * article_id / (n_articles + 1))
                # The measured discussions fit before now however many posts they have.
                if plan.size > 200 or plan.discussion_id in planned:
                    start = min(start, now - timedelta(minutes=245 * plan.size))
                all_posts.extend(maker.posts(plan, start))
            for row in all_posts:
                row["reply_count"] = maker.reply_counts.get(row["id"], 0)
            for row in discussions:
                row["post_count"] = maker.published.get(row["id"], 0)
                row["last_post_at"] = maker.last_post.get(row["id"])
            writer.write(Discussion.__table__, discussions)
            say(f"Writing {len(all_posts):,} posts")
            all_posts.sort(key=lambda row: row["id"])
            writer.write(Post.__table__, all_posts, len(all_posts))

            say("Writing votes and follows")
            votes: set[tuple[int, int]] = set()
            published = maker.published_ids
            while len(votes) < min(n_votes, len(published)):
                post_id = rng.choice(published)
                user_id = rng.randint(1, n_users)
                if maker.authors[post_id] != user_id:
                    votes.add((post_id, user_id))
            writer.write(
                Vote.__table__,
                ({"post_id": p, "user_id": u, "created_at": now} for p, u in sorted(votes)),
            )
            scores: dict[int, int] = {}
            for post_id, _ in votes:
                scores[post_id] = scores.get(post_id, 0) + 1
            connection.execute(
                Post.__table__.update()
                .where(Post.__table__.c.id == bindparam("post_id"))
                .values(score=bindparam("new_score")),
                [{"post_id": p, "new_score": s} for p, s in scores.items()],
            )
            writer.write(
                Follow.__table__,
                (
                    {"discussion_id": d, "user_id": u, "created_at": now}
                    for d, u in sorted(maker.follows)
                ),
            )
            _fix_sequences(connection)
            say("Building the search index")
            create_search_index(connection)
            create_token_triggers(connection, fill=True)
            say("Analysing the tables for the query planner")
            connection.execute(text("ANALYZE"))

        bench_post = next(row["id"] for row in all_posts if row["discussion_id"] == bench_id)
        hot_roots = sum(
            1
            for row in all_posts
            if row["discussion_id"] == hot_id
            and row["parent_id"] is None
            and row["state"] is PostState.PUBLISHED
        )
        per_page = app.config["POSTS_PER_PAGE"]
        counts = {
            "users": n_users,
            "articles": n_articles,
            "groups": n_groups,
            "discussions": len(discussions),
            "posts": len(all_posts),
            "votes": len(votes),
            "follows": len(maker.follows),
            "memberships": len(memberships),
        }
        manifest = Manifest(
            scale=scale,
            database_url=db.engine.url.render_as_string(hide_password=True),
            counts=counts,
            bench_slug=f"article-{bench_id}",
            bench_discussion_id=bench_id,
            bench_post_id=bench_post,
            hot_slug=f"article-{hot_id}",
            hot_pages=max(1, -(-hot_roots // per_page)),
            deep_slug=f"article-{deep_start}",
            group_slug="discussion-group-1",
            search_term=SEARCH_TERM,
            reader_email=READER_EMAIL,
            moderator_email=MODERATOR_EMAIL,
            password=PASSWORD,
            seconds=round(time.perf_counter() - started, 1),
        )
        say(
            f"Generated in {manifest.seconds:.1f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        )
        return manifest
