"""The demo: articles, the "Great Decisions Discussion group", people in every role and a
lively discussion. Everything goes through the services readers, admins and the importer use.

Loading twice changes nothing: each part is looked for before it is created, so an edited
demo keeps its edits. Flushes; the command commits once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

from forum.accounts import services as accounts
from forum.accounts.models import Role, User
from forum.accounts.queries import find_user_by_email
from forum.articles import queries as article_queries
from forum.articles.models import Article
from forum.articles.services import import_parsed, slug_for
from forum.articles.textformat import parse_article_text
from forum.core.db import utc_now
from forum.core.errors import NotVisible
from forum.core.timefmt import zone
from forum.demo.conversations import CONVERSATIONS, Say
from forum.discussions import services as discussions
from forum.discussions.queries import get_public_discussion
from forum.groups import permissions as group_permissions
from forum.groups import queries as group_queries
from forum.groups import services as groups
from forum.groups.models import Group, MemberRole, VenueType
from forum.moderation.demo import ensure_moderation_demo
from forum.moderation.policy import site_policy

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
GROUP_NAME = "Great Decisions Discussion group"
GROUP_DESCRIPTION = (
    "We read one article on a foreign-policy question before each meeting and talk it "
    "through together: the Great Decisions topics of the season, from climate migration to "
    "the future of NATO.\n\n"
    "Everyone is welcome, whatever you know about the subject. Read the article, add your "
    "questions to its discussion, and come along."
)
# Articles appear a day apart, the newest a day before the demo is loaded; the first comment
# on each comes a while after it, then one every POST_GAP, all before the demo's "now".
ARTICLE_GAP = timedelta(days=1)
FIRST_COMMENT_AFTER = timedelta(hours=2)
POST_GAP = timedelta(minutes=47)


@dataclass(frozen=True)
class DemoAccount:
    key: str
    label: str
    email: str
    name: str
    password: str
    role: Role
    group_role: MemberRole


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "admin", "Site admin", "admin@example.com", "Ada Lindqvist",
        "demo-admin-password", Role.ADMIN, MemberRole.MEMBER,
    ),
    DemoAccount(
        "moderator", "Moderator", "moderator@example.com", "Mo Okonkwo",
        "demo-moderator-password", Role.MODERATOR, MemberRole.MEMBER,
    ),
    DemoAccount(
        "organiser", "Group organiser", "organiser@example.com", "Olive Brennan",
        "demo-organiser-password", Role.READER, MemberRole.ORGANISER,
    ),
    DemoAccount(
        "reader", "Reader", "reader@example.com", "Rafael Duarte",
        "demo-reader-password", Role.READER, MemberRole.MEMBER,
    ),
    DemoAccount(
        "reader2", "Reader", "reader2@example.com", "Rhea Castellano",
        "demo-reader2-password", Role.READER, MemberRole.MEMBER,
    ),
)  # fmt: skip


@dataclass
class DemoReport:
    """What this run created; empty lists mean the demo was already there."""

    users: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    memberships: list[str] = field(default_factory=list)
    posts: int = 0
    group_created: bool = False
    sessions: int = 0


def demo_article_paths() -> list[Path]:
    return sorted(ARTICLES_DIR.glob("*.txt"))


def _ensure_accounts(report: DemoReport) -> dict[str, User]:
    people: dict[str, User] = {}
    for account in ACCOUNTS:
        user = find_user_by_email(account.email)
        if user is None:
            user = accounts.create_user(
                None,
                account.email,
                account.name,
                account.password,
                role=account.role,
                verified=True,
            )
            # Members of long standing: the moderation policy does not hold their posts.
            user.approved_post_count = site_policy().new_user_posts
            report.users.append(account.email)
        people[account.key] = user
    return people


def _ensure_group(report: DemoReport, people: dict[str, User]) -> Group:
    group = groups.ensure_group(GROUP_NAME)
    if not group.description:
        groups.update_group(None, group, description=GROUP_DESCRIPTION)
        group.place = "Central Library, Springfield"
        group.venue_type = VenueType.LIBRARY
        group.meeting_pattern = "Thursdays at 19:00, a topic a week"
        report.group_created = True
    for account in ACCOUNTS:
        user = people[account.key]
        if group_permissions.membership_of(user, group) is None:
            groups.add_member(None, group, user, account.group_role)
            report.memberships.append(account.email)
    return group


# The demo season: a topic a week, the first four with the demo articles as readings.
SEASON_TOPICS = (
    ("Climate migration", "01_climate_migration.txt"),
    ("The Arctic", "02_arctic.txt"),
    ("Critical minerals", "03_critical_minerals.txt"),
    ("The future of NATO", "04_nato.txt"),
    ("Global health security", None),
    ("Trade and tariffs", None),
    ("Water and conflict", None),
    ("The United Nations at eighty", None),
)


def _ensure_season(
    report: DemoReport,
    group: Group,
    articles: dict[str, Article],
    people: dict[str, User],
    now: datetime,
) -> None:
    """Eight weekly sessions from next Thursday, 19:00 in the group's zone, unless the group
    has sessions already; the reader is going to the first."""
    if group_queries.upcoming_sessions(group, now, limit=1) or group_queries.past_sessions(
        group, now, limit=1
    ):
        return
    today = now.astimezone(zone(group.timezone)).date()
    first_day = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    plan = [
        (topic, [articles[name].slug] if name in articles else []) for topic, name in SEASON_TOPICS
    ]
    first = groups.SessionInput(
        title="Great Decisions",
        starts_on=first_day,
        starts_at=time(19, 0),
        ends_at=time(20, 30),
        timezone=group.timezone,
        place="Central Library, Meeting Room 2",
        capacity=20,
        agenda_md="1. Welcome and introductions\n2. The briefing in ten minutes\n3. Discussion",
        questions_md="- What surprised you in the reading?\n- What should policy-makers do?",
        facilitator_id=people["organiser"].id,
    )
    sessions = groups.schedule_season(None, group, first, plan, 7, now=now)
    groups.respond(people["reader"], sessions[0], "going", now=now)
    report.sessions = len(sessions)


# Last season's ballots: one closed with its results (five voted, enough to show them), one
# still open that the reader has yet to vote in.
DEMO_BALLOT_QUESTIONS = (
    "Should the country take in more people displaced by climate change?\n"
    "- Yes\n- No\n- Not sure\n\n"
    "[any] What should come first?\n"
    "- Money for adaptation at home\n- Legal status for climate migrants\n"
    "- Regional agreements"
)
DEMO_BALLOTS = (
    ("Climate migration", 14, (0, 0, 1, 2, 0), False),
    ("The Arctic", 7, (0, 1, 1), True),
)


def _ensure_ballots(group: Group, people: dict[str, User], now: datetime) -> None:
    """Two past sessions everyone came to, each with a ballot, unless the group has one."""
    if group_queries.group_ballots(group, limit=1):
        return
    today = now.astimezone(zone(group.timezone)).date()
    voters = [people[key] for key in ("organiser", "reader2", "moderator", "admin", "reader")]
    for topic, days_ago, answers, still_open in DEMO_BALLOTS:
        session = groups.schedule_session(
            None,
            group,
            groups.SessionInput(
                title=f"Last season: {topic}",
                topic=topic,
                starts_on=today - timedelta(days=days_ago),
                starts_at=time(19, 0),
                ends_at=time(20, 30),
                timezone=group.timezone,
                place="Central Library, Meeting Room 2",
            ),
            now=now,
        )
        groups.mark_attendance(None, session, set(), walk_ins=voters)
        ballot = groups.create_ballot(
            None,
            session,
            groups.BallotInput(
                topic=topic,
                questions=groups.parse_ballot_questions(DEMO_BALLOT_QUESTIONS),
                closes_on=today + timedelta(days=7) if still_open else None,
                closes_at=time(21, 0) if still_open else None,
            ),
        )
        groups.open_ballot(None, ballot, now=now)
        first, several = ballot.questions
        for person, answer in zip(voters, answers, strict=False):
            picks = {first.id: [first.choices[answer].id], several.id: [several.choices[answer].id]}
            groups.vote(person, ballot, picks, now=now)
        if not still_open:
            groups.close_ballot(None, ballot, now=now)


def _ensure_articles(
    report: DemoReport, admin: User, now: datetime, progress: Callable[[str], None]
) -> dict[str, Article]:
    """The demo articles by file name; the newest file is the most recent article."""
    paths = demo_article_paths()
    found: dict[str, Article] = {}
    for age, path in enumerate(reversed(paths)):
        parsed = parse_article_text(path.read_text(encoding="utf-8"))
        try:
            article = article_queries.get_article_for(admin, slug_for(parsed.title))
        except NotVisible:
            article, _ = import_parsed(parsed, now=now - ARTICLE_GAP * (age + 1))
            report.articles.append(article.title)
            progress(f"imported {article.title}")
        found[path.name] = article
    return found


def _post_thread(
    says: tuple[Say, ...], people: dict[str, User], discussion, parent, clock: list[datetime]
) -> int:
    count = 0
    for item in says:
        clock[0] += POST_GAP
        post = discussions.post_reply(people[item.author], discussion, parent, item.body, clock[0])
        count += 1 + _post_thread(item.replies, people, discussion, post, clock)
    return count


def _ensure_conversations(
    report: DemoReport,
    articles: dict[str, Article],
    people: dict[str, User],
    progress: Callable[[str], None],
) -> None:
    for name, says in CONVERSATIONS.items():
        discussion = get_public_discussion(articles[name])
        # A discussion with posts has had its conversation (or real ones): leave it be.
        if discussion.post_count:
            continue
        clock = [articles[name].published_at + FIRST_COMMENT_AFTER]
        posted = _post_thread(says, people, discussion, None, clock)
        report.posts += posted
        progress(f"posted {posted} comments on {articles[name].title}")


def load_demo(progress: Callable[[str], None], now: datetime | None = None) -> DemoReport:
    """Load whatever part of the demo is missing; the caller commits."""
    now = now or utc_now()
    report = DemoReport()
    people = _ensure_accounts(report)
    progress(f"accounts: {len(report.users)} created, {len(ACCOUNTS) - len(report.users)} there")
    group = _ensure_group(report, people)
    articles = _ensure_articles(report, people["admin"], now, progress)
    _ensure_conversations(report, articles, people, progress)
    report.posts += ensure_moderation_demo(people, [articles[n] for n in sorted(articles)], now)
    _ensure_season(report, group, articles, people, now)
    _ensure_ballots(group, people, now)
    # The reader's secret calendar address, so its page and its feed can be seen.
    groups.ensure_calendar_feed(people["reader"])
    progress(f"sessions: {report.sessions} scheduled")
    return report
