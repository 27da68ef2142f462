"""Reads of groups, with visibility applied: a members-only group does not exist for others."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from forum.accounts.models import User
from forum.accounts.permissions import is_admin, is_signed_in
from forum.admin.models import GroupArchive
from forum.articles.models import Article, article_groups
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.groups.models import (
    Ballot,
    BallotQuestion,
    BallotStatus,
    BallotVoter,
    CalendarFeed,
    Group,
    GroupSession,
    MemberRole,
    Membership,
    MemberState,
    Rsvp,
    RsvpStatus,
    SessionReading,
    SessionStatus,
    Visibility,
)
from forum.groups.permissions import (
    can_manage_ballot,
    can_view_group,
    can_view_session,
    remember_group_reads,
)

GROUPS_PER_PAGE = 20
MEMBERS_PER_PAGE = 50
MEMBERS_ON_GROUP_PAGE = 24


def _visible_to(viewer, viewer_id=None):
    """Which groups ``viewer`` may know about, as a WHERE clause. ``viewer_id`` stands for
    the viewer's id in a statement built once for every viewer of their kind (a bind
    parameter): the clause depends on the viewer only through is_admin, is_signed_in and
    their id, which forum.articles.queries relies on."""
    if is_admin(viewer):
        return Group.id.is_not(None)
    shown = Group.visibility == Visibility.PUBLIC
    if is_signed_in(viewer):
        member_of = select(Membership.group_id).where(
            Membership.user_id == (viewer.id if viewer_id is None else viewer_id),
            Membership.state == MemberState.ACTIVE,
        )
        shown = or_(shown, Group.id.in_(member_of))
    return shown


def _member_count():
    return (
        select(func.count(Membership.id))
        .where(Membership.group_id == Group.id, Membership.state == MemberState.ACTIVE)
        .correlate(Group)
        .scalar_subquery()
    )


def _containing(column, words: str):
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return func.lower(column).like(pattern.lower(), escape="\\")


def list_groups(viewer, page: int, name: str = "", place: str = "") -> Page:
    """One page of the directory: rows of (group, active member count), by name; ``name`` and
    ``place`` narrow it to groups whose name or place contains those words."""
    statement = (
        select(Group, _member_count().label("member_count"))
        .where(_visible_to(viewer))
        .order_by(func.lower(Group.name), Group.id)
    )
    if name.strip():
        statement = statement.where(_containing(Group.name, name.strip()))
    if place.strip():
        statement = statement.where(_containing(Group.place, place.strip()))
    return paginate(statement, page, GROUPS_PER_PAGE, scalars=False)


def find_group_by_slug(slug: str) -> Group | None:
    """Any group, visible or not: for the operator's commands."""
    return db.session.scalar(select(Group).where(Group.slug == slug))


def get_group_for(viewer, slug: str) -> Group:
    """The group at ``slug`` if the viewer may see it, read in one query with its archive
    state and the viewer's membership, which the page's permissions then ask about."""
    statement = (
        select(Group, GroupArchive.group_id)
        .outerjoin(GroupArchive, GroupArchive.group_id == Group.id)
        .where(Group.slug == slug)
    )
    if is_signed_in(viewer):
        statement = statement.add_columns(Membership).outerjoin(
            Membership, and_(Membership.group_id == Group.id, Membership.user_id == viewer.id)
        )
    row = db.session.execute(statement).first()
    if row is None:
        raise NotVisible(_("There is no such group."))
    group = row[0]
    remember_group_reads(
        viewer, group, row[2] if len(row) > 2 else None, archived=row[1] is not None
    )
    if not can_view_group(viewer, group):
        raise NotVisible(_("There is no such group."))
    return group


def member_count(group: Group) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.group_id == group.id, Membership.state == MemberState.ACTIVE
        )
    )


def _active_memberships(group: Group, roles: tuple[MemberRole, ...]) -> Select:
    return (
        select(Membership)
        .join(Membership.user)
        .where(
            Membership.group_id == group.id,
            Membership.state == MemberState.ACTIVE,
            Membership.role.in_(roles),
        )
        .options(joinedload(Membership.user))
    )


def group_leaders(group: Group) -> list[Membership]:
    """Organisers first, then the group's moderators, each by name."""
    leaders = list(
        db.session.scalars(
            _active_memberships(group, (MemberRole.ORGANISER, MemberRole.MODERATOR)).order_by(
                func.lower(User.display_name), User.id
            )
        )
    )
    return sorted(leaders, key=lambda m: m.role is not MemberRole.ORGANISER)


def _counted_page(statement: Select, number: int, per_page: int) -> Page:
    """A page whose rows carry the total (a window count), so the group page's lists cost
    one query each instead of two; only a page past the end counts apart."""
    counted = statement.add_columns(func.count().over().label("total"))
    rows = db.session.execute(counted.limit(per_page).offset((number - 1) * per_page)).all()
    if rows or number == 1:
        total = rows[0].total if rows else 0
        return Page(items=[row[0] for row in rows], number=number, per_page=per_page, total=total)
    return paginate(statement, number, per_page)


def group_members(group: Group, page: int, per_page: int = MEMBERS_PER_PAGE) -> Page:
    """The members who hold no office, by name."""
    statement = _active_memberships(group, (MemberRole.MEMBER,)).order_by(
        func.lower(User.display_name), User.id
    )
    return _counted_page(statement, page, per_page)


def group_articles(group: Group, page: int) -> Page:
    """The articles the group discusses, newest first; hidden articles are left out."""
    statement = (
        select(Article)
        .join(article_groups, article_groups.c.article_id == Article.id)
        .where(article_groups.c.group_id == group.id, Article.is_hidden.is_(False))
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    return _counted_page(statement, page, current_app.config["ARTICLES_PER_PAGE"])


# Sessions -----------------------------------------------------------------------------------


def get_session_for(viewer, group: Group, session_id: int) -> GroupSession:
    """A session of ``group`` (already checked visible to the viewer)."""
    # The readings come with it: every page of a session lists them, each with its article.
    session = db.session.get(
        GroupSession,
        session_id,
        options=[joinedload(GroupSession.readings).joinedload(SessionReading.article)],
    )
    if session is None or session.group_id != group.id or not can_view_session(viewer, session):
        raise NotVisible(_("There is no such session."))
    return session


def upcoming_sessions(group: Group, now: datetime, limit: int = 10) -> list[GroupSession]:
    """Sessions not yet over, cancelled ones included (so people see the cancellation)."""
    return list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id, GroupSession.ends_at > now)
            .order_by(GroupSession.starts_at, GroupSession.id)
            .limit(limit)
        )
    )


def past_sessions(group: Group, now: datetime, limit: int = 10) -> list[GroupSession]:
    return list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id, GroupSession.ends_at <= now)
            .order_by(GroupSession.starts_at.desc(), GroupSession.id.desc())
            .limit(limit)
        )
    )


def calendar_sessions(group: Group, since: datetime) -> list[GroupSession]:
    """What the calendar feed carries: sessions from ``since`` on, cancelled ones included."""
    return list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id, GroupSession.ends_at >= since)
            .order_by(GroupSession.starts_at, GroupSession.id)
            .options(selectinload(GroupSession.readings))
        )
    )


def session_discussion(session: GroupSession) -> Discussion:
    discussion = db.session.scalar(select(Discussion).where(Discussion.session_id == session.id))
    if discussion is None:
        raise NotVisible(_("This session has no discussion."))
    return discussion


def session_discussion_and_ballot(session: GroupSession) -> tuple[Discussion, Ballot | None]:
    """The session's discussion and its ballot if it has one, in one query: the session page
    shows only the ballot's state, so its questions are not read."""
    row = db.session.execute(
        select(Discussion, Ballot)
        .outerjoin(Ballot, Ballot.session_id == Discussion.session_id)
        .where(Discussion.session_id == session.id)
    ).first()
    if row is None:
        raise NotVisible(_("This session has no discussion."))
    return row[0], row[1]


def rsvp_of(viewer, session: GroupSession) -> Rsvp | None:
    if not is_signed_in(viewer):
        return None
    return db.session.scalar(
        select(Rsvp).where(Rsvp.session_id == session.id, Rsvp.user_id == viewer.id)
    )


def rsvp_counts(session: GroupSession) -> dict[RsvpStatus, int]:
    rows = db.session.execute(
        select(Rsvp.status, func.count(Rsvp.id))
        .where(Rsvp.session_id == session.id)
        .group_by(Rsvp.status)
    )
    counts = {status: 0 for status in RsvpStatus}
    counts.update(dict(rows.all()))
    return counts


def session_rsvps(session: GroupSession) -> list[Rsvp]:
    """Everyone who answered, going first then waitlist (in turn), maybe, declined."""
    order = {RsvpStatus.GOING: 0, RsvpStatus.WAITLISTED: 1, RsvpStatus.MAYBE: 2}
    rsvps = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.session_id == session.id)
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.answered_at, Rsvp.id)
    )
    return sorted(rsvps, key=lambda r: order.get(r.status, 3))


def pending_requests(group: Group) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.group_id == group.id, Membership.state == MemberState.PENDING)
            .options(joinedload(Membership.user))
            .order_by(Membership.created_at, Membership.id)
        )
    )


def find_membership(group: Group, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.group_id != group.id:
        raise NotVisible(_("That person is not in this group."))
    return membership


def find_active_member(group: Group, user_id: int) -> User | None:
    return db.session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.group_id == group.id,
            Membership.user_id == user_id,
            Membership.state == MemberState.ACTIVE,
        )
    )


def all_members(group: Group) -> list[User]:
    """Every active member by name: for the facilitator and walk-in choices."""
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.group_id == group.id, Membership.state == MemberState.ACTIVE)
            .order_by(func.lower(User.display_name), User.id)
        )
    )


# Group discussions --------------------------------------------------------------------------


def group_discussions(group: Group, limit: int = 20) -> list[Discussion]:
    """The group's own discussions of articles, most recently active first."""
    return list(
        db.session.scalars(
            select(Discussion)
            .join(Article, Article.id == Discussion.article_id)
            .where(Discussion.group_id == group.id, Article.is_hidden.is_(False))
            .options(joinedload(Discussion.article))
            .order_by(Discussion.last_post_at.desc().nulls_last(), Discussion.id.desc())
            .limit(limit)
        )
    )


def groups_seen_by(viewer, viewer_id=None):
    """Which groups ``viewer`` may know about, as a WHERE clause over groups: public ones, and
    members-only ones for their members and admins. ``viewer_id`` as for _visible_to."""
    return _visible_to(viewer, viewer_id)


def article_discussions_seen_by(viewer, viewer_id=None):
    """Which of an article's discussions ``viewer`` may see, as a WHERE clause over
    discussions outer-joined to their groups: the public one, and those of the groups the
    viewer may know about (members-only ones for their members and admins). ``viewer_id``
    as for _visible_to."""
    return or_(Discussion.group_id.is_(None), _visible_to(viewer, viewer_id))


def article_discussions(viewer, article: Article) -> tuple[Discussion, list[Discussion]]:
    """The article's public discussion and the groups' discussions of it that ``viewer`` may
    see (busiest first), in one query: the article page's budget has no room for two."""
    rows = db.session.scalars(
        select(Discussion)
        .outerjoin(Group, Group.id == Discussion.group_id)
        .where(Discussion.article_id == article.id, article_discussions_seen_by(viewer))
        .options(contains_eager(Discussion.group))
        .order_by(Discussion.post_count.desc(), func.lower(Group.name))
    ).all()
    public = next((d for d in rows if d.group_id is None), None)
    if public is None:
        raise NotVisible(_("This article has no discussion."))
    return public, [d for d in rows if d.group_id is not None]


def viewer_groups(viewer) -> list[Group]:
    """The groups the viewer is an active member of, by name."""
    if not is_signed_in(viewer):
        return []
    return list(
        db.session.scalars(
            select(Group)
            .join(Membership, Membership.group_id == Group.id)
            .where(Membership.user_id == viewer.id, Membership.state == MemberState.ACTIVE)
            .order_by(func.lower(Group.name))
        )
    )


def season_report(
    group: Group,
) -> list[tuple[GroupSession, dict[RsvpStatus, int], int, int | None]]:
    """Every session of the group by date, with its answers counted, how many came, and how
    many filled in its ballot (None: the session has no open or closed ballot)."""
    sessions = list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id)
            .order_by(GroupSession.starts_at, GroupSession.id)
        )
    )
    counts: dict[int, dict[RsvpStatus, int]] = {
        s.id: dict.fromkeys(RsvpStatus, 0) for s in sessions
    }
    came: dict[int, int] = dict.fromkeys(counts, 0)
    rows = db.session.execute(
        select(Rsvp.session_id, Rsvp.status, Rsvp.attended, func.count(Rsvp.id))
        .join(GroupSession, GroupSession.id == Rsvp.session_id)
        .where(GroupSession.group_id == group.id)
        .group_by(Rsvp.session_id, Rsvp.status, Rsvp.attended)
    )
    for session_id, status, attended, number in rows:
        counts[session_id][status] += number
        if attended:
            came[session_id] += number
    ballots = dict(
        db.session.execute(
            select(Ballot.session_id, Ballot.voter_count)
            .join(GroupSession, GroupSession.id == Ballot.session_id)
            .where(GroupSession.group_id == group.id, Ballot.status != BallotStatus.DRAFT)
        ).all()
    )
    return [(s, counts[s.id], came[s.id], ballots.get(s.id)) for s in sessions]


# Ballots ------------------------------------------------------------------------------------


def ballots_awaiting_votes(
    user_ids: list[int] | None, after: datetime, closing_by: datetime | None = None
) -> list[tuple[Ballot, int]]:
    """(ballot, user id) for each open ballot of a scheduled session and each person who may
    vote in it and has not: an active member of the group who said they were going to the
    session or came to it. Only ballots still open ``after`` (no deadline, or a later one);
    with ``closing_by``, only those whose deadline falls by then. ``user_ids`` None: everyone.
    One query, soonest deadline first: digests, reminders and notices all ask this."""
    answered = or_(Rsvp.status == RsvpStatus.GOING, Rsvp.attended.is_(True))
    voted = exists().where(BallotVoter.ballot_id == Ballot.id, BallotVoter.user_id == Rsvp.user_id)
    deadline = (
        and_(Ballot.closes_at > after, Ballot.closes_at <= closing_by)
        if closing_by is not None
        else or_(Ballot.closes_at.is_(None), Ballot.closes_at > after)
    )
    statement = (
        select(Ballot, Rsvp.user_id)
        .join(GroupSession, GroupSession.id == Ballot.session_id)
        .join(Rsvp, and_(Rsvp.session_id == GroupSession.id, answered))
        .join(
            Membership,
            and_(
                Membership.group_id == GroupSession.group_id,
                Membership.user_id == Rsvp.user_id,
                Membership.state == MemberState.ACTIVE,
            ),
        )
        .where(
            Ballot.status == BallotStatus.OPEN,
            GroupSession.status == SessionStatus.SCHEDULED,
            deadline,
            ~voted,
        )
        .options(contains_eager(Ballot.session).joinedload(GroupSession.group))
        .order_by(Ballot.closes_at, Ballot.id, Rsvp.user_id)
    )
    if user_ids is not None:
        statement = statement.where(Rsvp.user_id.in_(user_ids))
    return [(ballot, user_id) for ballot, user_id in db.session.execute(statement).all()]


def ballots_closing_soon(user_id: int, now: datetime, within: timedelta) -> list[Ballot]:
    """Open ballots that ``user_id`` may vote in and has not, whose deadline falls after
    ``now`` and within ``within`` of it; soonest deadline first."""
    return [ballot for ballot, _ in ballots_awaiting_votes([user_id], now, now + within)]


# Fewer votes than this and a ballot's results stay hidden (its group's, and its share of a
# topic's): with three voters, a member who knows two of the votes knows the third.
BALLOT_MIN_COUNT = 5


def ballot_min_count() -> int:
    """The ``BALLOT_MIN_COUNT`` setting (the instance file may raise it)."""
    return int(current_app.config.get("BALLOT_MIN_COUNT", BALLOT_MIN_COUNT))


def session_ballot(session: GroupSession) -> Ballot | None:
    """The session's ballot, if it has one (visibility follows the session's)."""
    return db.session.scalar(
        select(Ballot)
        .where(Ballot.session_id == session.id)
        .options(selectinload(Ballot.questions).selectinload(BallotQuestion.choices))
    )


def get_ballot_for(viewer, session: GroupSession) -> Ballot:
    """The session's ballot; a draft exists only for those who run the group."""
    ballot = session_ballot(session)
    if ballot is None or (
        ballot.status is BallotStatus.DRAFT and not can_manage_ballot(viewer, session)
    ):
        raise NotVisible(_("This session has no ballot."))
    return ballot


@dataclass
class ChoiceTally:
    text: str
    votes: int
    # Of the people who answered the question; a multiple-choice question's add up past 100.
    percent: float


@dataclass
class QuestionTally:
    text: str
    is_multiple: bool
    voters: int
    choices: list[ChoiceTally] = field(default_factory=list)


def _tally(questions: list[QuestionTally]) -> list[QuestionTally]:
    for question in questions:
        for choice in question.choices:
            choice.percent = 100 * choice.votes / question.voters if question.voters else 0.0
    return questions


def group_ballots(group: Group, limit: int = 10) -> list[Ballot]:
    """The group's ballots that members can see (not drafts), newest session first."""
    return list(
        db.session.scalars(
            select(Ballot)
            .join(GroupSession, GroupSession.id == Ballot.session_id)
            .where(GroupSession.group_id == group.id, Ballot.status != BallotStatus.DRAFT)
            .options(contains_eager(Ballot.session))
            .order_by(GroupSession.starts_at.desc(), Ballot.id.desc())
            .limit(limit)
        )
    )


def ballot_results(ballot: Ballot) -> list[QuestionTally]:
    """One group's results: each question's choices with counts and percentages."""
    return _tally(
        [
            QuestionTally(
                q.text,
                q.is_multiple,
                ballot.voter_count,
                [ChoiceTally(c.text, c.votes, 0.0) for c in q.choices],
            )
            for q in ballot.questions
        ]
    )


def _closed_by(now: datetime):
    return or_(
        Ballot.status == BallotStatus.CLOSED,
        and_(Ballot.status == BallotStatus.OPEN, Ballot.closes_at <= now),
    )


@dataclass
class TopicResults:
    topic: str
    topic_key: str
    ballots: int
    groups: int
    voters: int
    # Closed ballots on the topic with too few votes to show, left out of every count.
    withheld: int
    questions: list[QuestionTally]


def ballot_topics(now: datetime) -> list[tuple[str, str, int]]:
    """Topics with closed ballots enough voters to show: (topic, key, ballots), by topic."""
    rows = db.session.execute(
        select(Ballot.topic_key, func.min(Ballot.topic), func.count(Ballot.id))
        .where(_closed_by(now), Ballot.voter_count >= ballot_min_count())
        .group_by(Ballot.topic_key)
        .order_by(func.min(Ballot.topic))
    )
    return [(topic, key, count) for key, topic, count in rows]


def _question_key(text: str, is_multiple: bool) -> tuple[str, bool]:
    return " ".join(text.split()).casefold(), is_multiple


def topic_results(topic_key: str, now: datetime) -> TopicResults:
    """Every group's closed ballot on the topic, added up: questions worded alike (and
    choices worded alike) count together. Ballots below the minimum count are left out
    entirely, so no one can subtract the groups shown from the total to find them."""
    ballots = list(
        db.session.scalars(
            select(Ballot)
            .join(GroupSession, GroupSession.id == Ballot.session_id)
            .where(Ballot.topic_key == topic_key, _closed_by(now))
            .options(
                contains_eager(Ballot.session),
                selectinload(Ballot.questions).selectinload(BallotQuestion.choices),
            )
            .order_by(GroupSession.starts_at, Ballot.id)
        )
    )
    if not ballots:
        raise NotVisible(_("No ballot on this topic has closed yet."))
    minimum = ballot_min_count()
    shown = [b for b in ballots if b.voter_count >= minimum]
    questions: dict[tuple[str, bool], QuestionTally] = {}
    for ballot in shown:
        for question in ballot.questions:
            tally = questions.setdefault(
                _question_key(question.text, question.is_multiple),
                QuestionTally(question.text, question.is_multiple, 0),
            )
            tally.voters += ballot.voter_count
            for choice in question.choices:
                found = next(
                    (c for c in tally.choices if c.text.casefold() == choice.text.casefold()),
                    None,
                )
                if found is None:
                    tally.choices.append(ChoiceTally(choice.text, choice.votes, 0.0))
                else:
                    found.votes += choice.votes
    return TopicResults(
        topic=ballots[0].topic,
        topic_key=topic_key,
        ballots=len(shown),
        groups=len({b.session.group_id for b in shown}),
        voters=sum(b.voter_count for b in shown),
        withheld=len(ballots) - len(shown),
        questions=_tally(list(questions.values())),
    )


# The personal calendar feed ------------------------------------------------------------------


def calendar_feed_of(user) -> CalendarFeed | None:
    if not is_signed_in(user):
        return None
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def find_calendar_feed(token: str) -> CalendarFeed:
    """The feed a secret address names; an unknown or revoked one does not exist."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None:
        raise NotVisible(_("There is no calendar at this address: it may have been replaced."))
    return feed


def sessions_going_to(user_id: int, since: datetime) -> list[GroupSession]:
    """The sessions from ``since`` on that the person said they are going to, in groups they
    still belong to; cancelled ones stay, so calendars learn of the cancellation."""
    return list(
        db.session.scalars(
            select(GroupSession)
            .join(Rsvp, Rsvp.session_id == GroupSession.id)
            .join(
                Membership,
                and_(
                    Membership.group_id == GroupSession.group_id,
                    Membership.user_id == Rsvp.user_id,
                ),
            )
            .where(
                Rsvp.user_id == user_id,
                Rsvp.status == RsvpStatus.GOING,
                Membership.state == MemberState.ACTIVE,
                GroupSession.ends_at >= since,
            )
            .options(joinedload(GroupSession.group), selectinload(GroupSession.readings))
            .order_by(GroupSession.starts_at, GroupSession.id)
        )
    )


def groups_only_organised_by(user: User, group: Group | None = None) -> list[Group]:
    """The groups (``group``, or every group) that would have no organiser without ``user``:
    where they are an active organiser and no one else is. Both "a group keeps an
    organiser" checks ask this: an organiser leaving or stepping down, and an account being
    deleted (by its owner or an administrator).

    An archived group is left out, on both paths: nobody runs it any more (it takes no new
    members, holds no sessions, its discussions are closed), so there is nothing an organiser
    would be kept for, and its last organiser may leave, step down or delete their account.
    """
    mine = aliased(Membership)
    other = aliased(Membership)
    query = (
        select(Group)
        .join(mine, mine.group_id == Group.id)
        .where(
            mine.user_id == user.id,
            mine.role == MemberRole.ORGANISER,
            mine.state == MemberState.ACTIVE,
            ~exists().where(GroupArchive.group_id == Group.id),
            ~exists().where(
                other.group_id == Group.id,
                other.user_id != user.id,
                other.role == MemberRole.ORGANISER,
                other.state == MemberState.ACTIVE,
            ),
        )
        .order_by(Group.name)
    )
    if group is not None:
        query = query.where(Group.id == group.id)
    return list(db.session.scalars(query))
