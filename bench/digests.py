"""The digest benchmark: one morning's digests for 10,000 people with 50,000 new posts.

    python -m bench.digests [--scale 1] [--workdir DIR]

At scale 1: 10,000 readers (all on daily digests, due at the same 07:00), 500 discussions with
50,000 posts written in the last day (a fifth of them replies, so most people have replies to
them), 5 followed discussions each, 50 groups of 100 members with two sessions in the coming
week (readings, answers) and an open ballot closing within a day, 10 moderators with a queue.

The data goes into its own SQLite file (a rerun at the same scale makes it afresh). The digests
are then made and queued, for real, in a child process, so its peak resident memory is the
digests' and not the generator's. It reports the time, the peak memory, and the SQL statements
run: every chunk of people (``forum.notifications.digests.CHUNK``) must cost the same number of
reads however many people and posts it holds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, insert

PEOPLE = 10_000
POSTS = 50_000
DISCUSSIONS = 500
FOLLOWS = 5
GROUPS = 50
MEMBERS = 100
MODERATORS = 10
REPLY_SHARE = 0.2
HELD_SHARE = 0.02
# 07:05 UTC, when everyone's daily digest (07:00 in UTC) is due.
NOW = datetime(2030, 3, 5, 7, 5, tzinfo=UTC)
PASSWORD_HASH = "pbkdf2:sha256:1$bench$" + "0" * 64


def say(message: str) -> None:
    print(message, flush=True)


def scaled(value: int, scale: float) -> int:
    return max(1, round(value * scale))


def _write(connection, table, rows: list[dict], chunk: int = 5_000) -> None:
    for start in range(0, len(rows), chunk):
        connection.execute(insert(table), rows[start : start + chunk])


def generate(app, scale: float, seed: int = 2026) -> dict:
    """Empty the app's database and write the morning's data; returns the row counts."""
    from forum.accounts.models import DigestFrequency, Role, User
    from forum.articles.models import Article
    from forum.discussions.models import PATH_WIDTH, Discussion, Follow, Post, PostState
    from forum.extensions import db
    from forum.groups.models import (
        Ballot,
        BallotStatus,
        GroupSession,
        Membership,
        Rsvp,
        RsvpStatus,
        SessionReading,
    )
    from forum.groups.models import Group as GroupRow
    from forum.search.models import drop_search_index

    rng = random.Random(seed)
    people = scaled(PEOPLE, scale)
    posts = scaled(POSTS, scale)
    discussions = min(scaled(DISCUSSIONS, scale), posts)
    groups = scaled(GROUPS, scale)
    members = min(MEMBERS, people)
    period_start = NOW - timedelta(days=1)
    joined = NOW - timedelta(days=30)
    with app.app_context():
        db.drop_all()
        db.create_all()
        with db.engine.begin() as connection:
            # Posts are searched in no digest: the index would only slow the inserts.
            drop_search_index(connection)
            say(f"  {people:,} people, {posts:,} posts, {groups} groups")
            _write(
                connection,
                User.__table__,
                [
                    {
                        "id": n,
                        "email": f"reader{n}@example.org",
                        "username": f"reader-{n}",
                        "display_name": f"Reader {n}",
                        "password_hash": PASSWORD_HASH,
                        "role": Role.MODERATOR if n <= MODERATORS else Role.READER,
                        "email_verified_at": joined,
                        "digest_frequency": DigestFrequency.DAILY,
                        "created_at": joined,
                    }
                    for n in range(1, people + 1)
                ],
            )
            _write(
                connection,
                Article.__table__,
                [
                    {
                        "id": n,
                        "slug": f"article-{n}",
                        "title": f"Article {n}",
                        # A few new articles in the period, the rest older.
                        "published_at": period_start + timedelta(hours=n)
                        if n <= 3
                        else joined - timedelta(days=n),
                    }
                    for n in range(1, discussions + 1)
                ],
            )
            _write(
                connection,
                Discussion.__table__,
                [
                    {"id": n, "article_id": n, "created_at": joined}
                    for n in range(1, discussions + 1)
                ],
            )
            rows = []
            authors: dict[int, int] = {}
            for n in range(1, posts + 1):
                discussion = rng.randint(1, discussions)
                author = rng.randint(1, people)
                parent = None
                if n > 1 and rng.random() < REPLY_SHARE:
                    parent = rng.randint(1, n - 1)
                    discussion = rows[parent - 1]["discussion_id"]
                held = rng.random() < HELD_SHARE
                body = f"Post {n} on sanctions, supply chains and the arctic."
                rows.append(
                    {
                        "id": n,
                        "discussion_id": discussion,
                        "parent_id": parent,
                        "root_id": (rows[parent - 1]["root_id"] or parent) if parent else None,
                        "depth": rows[parent - 1]["depth"] + 1 if parent else 0,
                        "path": (rows[parent - 1]["path"] if parent else "")
                        + f"{n:0{PATH_WIDTH}d}/",
                        "author_id": author,
                        "body_md": body,
                        "body_html": f"<p>{body}</p>\n",
                        "state": PostState.PENDING if held else PostState.PUBLISHED,
                        "score": rng.randint(0, 5),
                        "created_at": period_start + timedelta(seconds=n * 86_000 / posts),
                    }
                )
                authors[n] = author
            _write(connection, Post.__table__, rows)
            follows = {
                (user, rng.randint(1, discussions))
                for user in range(1, people + 1)
                for _ in range(FOLLOWS)
            }
            _write(
                connection,
                Follow.__table__,
                [{"user_id": u, "discussion_id": d, "created_at": joined} for u, d in follows],
            )
            sessions, readings, answers, ballots, memberships = [], [], [], [], []
            for g in range(1, groups + 1):
                first = rng.randint(1, max(1, people - members + 1))
                group_members = range(first, first + members)
                memberships += [
                    {"group_id": g, "user_id": u, "created_at": joined} for u in group_members
                ]
                for k, days in enumerate((-2, 2, 5)):
                    session_id = 3 * (g - 1) + k + 1
                    starts = NOW + timedelta(days=days, hours=12)
                    sessions.append(
                        {
                            "id": session_id,
                            "group_id": g,
                            "title": f"Session {session_id}",
                            "starts_at": starts,
                            "ends_at": starts + timedelta(hours=2),
                            "place": "Central Library",
                            "created_at": joined,
                        }
                    )
                    readings += [
                        {"session_id": session_id, "article_id": rng.randint(1, discussions)}
                    ]
                    answers += [
                        {
                            "session_id": session_id,
                            "user_id": u,
                            "status": rng.choice([RsvpStatus.GOING, RsvpStatus.MAYBE]),
                            "answered_at": joined,
                            "created_at": joined,
                        }
                        for u in group_members
                        if rng.random() < 0.5
                    ]
                    if days < 0:
                        ballots.append(
                            {
                                "session_id": session_id,
                                "topic": f"Session {session_id}",
                                "topic_key": f"session-{session_id}",
                                "status": BallotStatus.OPEN,
                                "closes_at": NOW + timedelta(hours=20),
                                "created_at": joined,
                            }
                        )
            _write(
                connection,
                GroupRow.__table__,
                [
                    {"id": g, "slug": f"group-{g}", "name": f"Group {g}", "created_at": joined}
                    for g in range(1, groups + 1)
                ],
            )
            _write(connection, Membership.__table__, memberships)
            _write(connection, GroupSession.__table__, sessions)
            _write(connection, SessionReading.__table__, readings)
            _write(connection, Rsvp.__table__, answers)
            _write(connection, Ballot.__table__, ballots)
    return {
        "people": people,
        "posts": posts,
        "discussions": discussions,
        "follows": len(follows),
        "groups": groups,
        "memberships": len(memberships),
        "sessions": len(sessions),
        "rsvps": len(answers),
        "ballots": len(ballots),
        "moderators": min(MODERATORS, people),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process image, while
    getrusage's ru_maxrss survives exec: a child started by `make bench` after generating
    300,000 posts reported the generator's 600 MB as its own."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    # Kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(app) -> dict:
    """Make and queue the morning's digests, counting the reads of each chunk of people."""
    from forum.extensions import db
    from forum.notifications import digests

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lstrip()[:6].upper())

    # A chunk's work starts with the read of its people, the statement just before its due
    # windows are read, and ends where the next chunk's starts.
    marks: list[int] = []
    due_windows = digests._due_windows

    def marked(users, now):
        marks.append(len(statements) - 1)
        return due_windows(users, now)

    with app.app_context():
        baseline = _peak_rss_mb()
        event.listen(db.engine, "before_cursor_execute", record)
        digests._due_windows = marked
        try:
            started = time.perf_counter()
            # CPU time too: on a shared machine the wall clock also counts others' work.
            cpu_started = time.process_time()
            outcomes = digests.send_due_digests(NOW)
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
        finally:
            digests._due_windows = due_windows
            event.remove(db.engine, "before_cursor_execute", record)
    marks.append(len(statements))
    reads_per_chunk = [
        sum(1 for s in statements[begin:end] if s == "SELECT")
        for begin, end in zip(marks, marks[1:], strict=False)
    ]
    return {
        "digests_due": len(outcomes),
        "digests_sent": sum(1 for o in outcomes if o.sent),
        "items": sum(o.item_count for o in outcomes),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "per_1000_people_s": round(seconds / max(1, len(outcomes)) * 1000, 2),
        "peak_memory_mb": _peak_rss_mb(),
        "memory_before_mb": baseline,
        "chunk": digests.CHUNK,
        "statements": len(statements),
        "selects": sum(1 for s in statements if s == "SELECT"),
        "selects_per_chunk": sorted(set(reads_per_chunk)),
    }


def _app(database_url: str, instance: Path):
    from forum import create_app

    os.environ["FORUM_INSTANCE_PATH"] = str(instance)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-digests",
            "MAIL_URL": f"file://{instance / 'mail'}",
            "JOBS_IMMEDIATE": False,
        }
    )


def run(workdir: Path, scale: float = 1.0, say=say) -> dict:
    """Generate the data, then measure the digests in a child process; returns the report."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / f"digests-{scale:g}.db"
    # Afresh: emptying the last run's file table by table (its 10,000 queued emails, with
    # foreign keys checked on every DROP) takes SQLite minutes, removing it none.
    for leftover in (database, *database.parent.glob(f"{database.name}-*")):
        leftover.unlink(missing_ok=True)
    instance = Path(tempfile.mkdtemp(prefix="digests-", dir=workdir))
    os.environ["FORUM_INSTANCE_PATH"] = str(instance)
    url = f"sqlite:///{database}"
    say(f"== Digests: generating the data at scale {scale:g} in {database}")
    started = time.perf_counter()
    counts = generate(_app(url, instance), scale)
    generated = round(time.perf_counter() - started, 1)
    say("  making and queueing the digests (in a child process, for its peak memory)")
    child = subprocess.run(
        [sys.executable, "-m", "bench.digests", "--measure", url, "--instance", str(instance)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "FORUM_INSTANCE_PATH": str(instance)},
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    report = {"data": counts, "generated_in_s": generated, **result}
    say(
        f"  {result['digests_sent']:,} digests of {result['digests_due']:,} due in "
        f"{result['seconds']} s ({result['cpu_seconds']} s of CPU), "
        f"peak memory {result['peak_memory_mb']} MB; "
        f"{result['selects']} reads in all, {result['selects_per_chunk']} per chunk of "
        f"{result['chunk']} people"
    )
    return report


def row(report: dict) -> str:
    """The digests' line in `make bench`'s table."""
    return (
        f"digests: {report['digests_sent']:,} of {report['data']['people']:,} people, "
        f"{report['data']['posts']:,} posts: {report['seconds']} s "
        f"({report.get('cpu_seconds', '?')} s of CPU), "
        f"{report['peak_memory_mb']} MB peak, {report['selects_per_chunk']} reads per "
        f"{report['chunk']} people"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 10,000 people")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "forum-bench")
    parser.add_argument("--measure", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--instance", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help="also write the report here (JSON)")
    options = parser.parse_args(argv)
    if options.measure:
        print(json.dumps(measure(_app(options.measure, options.instance))))
        return 0
    report = run(options.workdir, options.scale)
    say(row(report))
    if options.output:
        options.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
