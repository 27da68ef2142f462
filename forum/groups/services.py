"""The rules of groups and their sessions.

``actor=None`` means the operator at the command line, who may do anything; every other
actor goes through the permission checks. Services flush; the caller commits once.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_number
from flask_babel import gettext as _
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from forum.accounts.models import User
from forum.articles.models import Article
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.core.text import render_markdown, slugify
from forum.core.timefmt import is_timezone, local
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.groups import emails, permissions, queries
from forum.groups.models import (
    Ballot,
    BallotChoice,
    BallotQuestion,
    BallotStatus,
    BallotVoter,
    CalendarFeed,
    Group,
    GroupSession,
    JoinPolicy,
    MemberRole,
    Membership,
    MemberState,
    Rsvp,
    RsvpStatus,
    SessionReading,
    SessionStatus,
    VenueType,
    Visibility,
)

MAX_DESCRIPTION = 5000
MAX_MARKDOWN = 20_000
INVITE_SALT = "group-invitation"
INVITE_VALID_FOR = timedelta(days=14)
SEASON_LENGTH = 8
# Weekly or fortnightly: the two rhythms a season keeps.
SEASON_INTERVALS = {7: "weekly", 14: "fortnightly"}
MAX_READINGS = 10


# Groups -------------------------------------------------------------------------------------


def ensure_group(name: str) -> Group:
    """The group called ``name``, created (public, open) if it does not exist yet.

    Found by the slug of its name, so "Great Decisions Discussion group" and the same words
    with other spacing or capitals are one group. Flushes; the caller commits.
    """
    name = " ".join(name.split())
    slug = slugify(name)
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        group = Group(
            slug=slug,
            name=name,
            description="",
            visibility=Visibility.PUBLIC,
            join_policy=JoinPolicy.OPEN,
        )
        db.session.add(group)
        db.session.flush()
    return group


@dataclass
class GroupInput:
    name: str
    description: str = ""
    place: str = ""
    venue_type: VenueType | str = VenueType.OTHER
    meeting_pattern: str = ""
    visibility: Visibility | str = Visibility.PUBLIC
    join_policy: JoinPolicy | str = JoinPolicy.OPEN
    timezone: str = "UTC"


def _enum(enum_class, value, field_name: str):
    try:
        return enum_class(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_class)
        raise ValidationFailed(
            field_name, _("Choose one of %(choices)s.", choices=choices)
        ) from None


def _short(value: str | None, field_name: str, limit: int, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationFailed(field_name, _("This cannot be empty."))
    if len(value) > limit:
        raise ValidationFailed(field_name, _("Keep this under %(limit)s characters.", limit=limit))
    return value


def _apply_group_values(group: Group, values: GroupInput) -> None:
    group.name = _short(values.name, "name", 200, required=True)
    description = (values.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed(
            "description",
            _("Keep the description under %(limit)s characters.", limit=MAX_DESCRIPTION),
        )
    group.description = description
    group.place = _short(values.place, "place", 200)
    group.venue_type = _enum(VenueType, values.venue_type, "venue_type")
    group.meeting_pattern = _short(values.meeting_pattern, "meeting_pattern", 200)
    group.visibility = _enum(Visibility, values.visibility, "visibility")
    group.join_policy = _enum(JoinPolicy, values.join_policy, "join_policy")
    if not is_timezone(values.timezone):
        raise ValidationFailed("timezone", _("Choose a time zone from the list."))
    group.timezone = values.timezone


def create_group(actor: User | None, values: GroupInput) -> Group:
    """A new group; the admin who creates it is its first organiser."""
    if actor is not None:
        permissions.require_create_group(actor)
    slug = slugify(_short(values.name, "name", 200, required=True))
    if db.session.scalar(select(Group.id).where(Group.slug == slug)) is not None:
        raise ValidationFailed("name", _("A group with this name already exists."))
    group = Group(slug=slug)
    _apply_group_values(group, values)
    db.session.add(group)
    db.session.flush()
    if actor is not None:
        add_member(None, group, actor, MemberRole.ORGANISER)
    return group


def edit_group(actor: User | None, group: Group, values: GroupInput) -> Group:
    """Change what the group says about itself and how people join (the slug stays)."""
    if actor is not None:
        permissions.require_edit_group(actor, group)
    _apply_group_values(group, values)
    db.session.flush()
    return group


def update_group(actor: User | None, group: Group, *, description: str | None = None) -> Group:
    """Change the group's description only (the demo and the command line)."""
    if actor is not None:
        permissions.require_edit_group(actor, group)
    if description is not None:
        description = description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise ValidationFailed(
                "description",
                _("Keep the description under %(limit)s characters.", limit=MAX_DESCRIPTION),
            )
        group.description = description
    db.session.flush()
    return group


# Members ------------------------------------------------------------------------------------


def add_member(
    actor: User | None, group: Group, user: User, role: MemberRole | str = MemberRole.MEMBER
) -> Membership:
    """Make ``user`` an active member of ``group`` with ``role``.

    Adding someone who is already there changes their role; a pending request is accepted.
    A member banned from the group stays banned: lifting a ban is a moderation decision.
    """
    if actor is not None:
        permissions.require_manage_members(actor, group)
    try:
        role = MemberRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in MemberRole)
        raise ValidationFailed(
            "role",
            _("Unknown role “%(role)s”: choose one of %(choices)s.", role=role, choices=choices),
        ) from None
    membership = permissions.membership_of(user, group)
    if membership is not None and membership.state is MemberState.BANNED:
        raise ValidationFailed(
            "user",
            _("%(name)s is banned from %(group)s.", name=user.display_name, group=group.name),
        )
    if membership is None:
        membership = Membership(
            group_id=group.id, user_id=user.id, role=role, state=MemberState.ACTIVE
        )
        db.session.add(membership)
    else:
        if membership.role is MemberRole.ORGANISER and role is not MemberRole.ORGANISER:
            _keep_an_organiser(group, membership)
        membership.role = role
        membership.state = MemberState.ACTIVE
    db.session.flush()
    return membership


def join_group(actor: User, group: Group) -> Membership:
    """Join an open group at once, or ask to join one that takes requests (the organisers are
    told). A group open by invitation only is joined through the invitation's link."""
    permissions.require_join_group(actor, group)
    if group.join_policy is JoinPolicy.OPEN:
        return add_member(None, group, actor)
    membership = Membership(
        group_id=group.id, user_id=actor.id, role=MemberRole.MEMBER, state=MemberState.PENDING
    )
    db.session.add(membership)
    db.session.flush()
    for organiser in _organisers(group):
        emails.queue_join_request(organiser, group, actor)
    return membership


def _organisers(group: Group) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.group_id == group.id,
                Membership.state == MemberState.ACTIVE,
                Membership.role == MemberRole.ORGANISER,
            )
            .order_by(User.id)
        )
    )


def _pending(group: Group, membership: Membership) -> Membership:
    if membership.group_id != group.id or membership.state is not MemberState.PENDING:
        raise ValidationFailed(None, _("That request has already been answered."))
    return membership


def approve_request(actor: User | None, group: Group, membership: Membership) -> Membership:
    if actor is not None:
        permissions.require_add_members(actor, group)
    _pending(group, membership).state = MemberState.ACTIVE
    db.session.flush()
    emails.queue_request_answered(membership.user, group, approved=True)
    return membership


def decline_request(actor: User | None, group: Group, membership: Membership) -> None:
    if actor is not None:
        permissions.require_manage_members(actor, group)
    user = _pending(group, membership).user
    db.session.delete(membership)
    db.session.flush()
    emails.queue_request_answered(user, group, approved=False)


def lock_groups_only_organised_by(user: User, group: Group | None = None) -> list[Group]:
    """``queries.groups_only_organised_by``, read under a lock on the groups ``user``
    organises (or on ``group``) that lasts until the transaction ends.

    Without it two organisers of one group leaving it (or deleting their accounts) at once
    would each count the other and leave the group with none. A no-op write takes the group
    rows' lock on PostgreSQL and the database's write lock on SQLite, so the second waits for
    the first to commit and then counts the organisers that are left. Rows are locked one at
    a time in id order so two people who organise the same groups cannot deadlock."""
    mine = select(Membership.group_id).where(
        Membership.user_id == user.id, Membership.role == MemberRole.ORGANISER
    )
    if group is not None:
        mine = mine.where(Membership.group_id == group.id)
    for group_id in db.session.scalars(mine.order_by(Membership.group_id)).all():
        db.session.execute(
            update(Group)
            .where(Group.id == group_id)
            .values(name=Group.name)
            .execution_options(synchronize_session=False)
        )
    return queries.groups_only_organised_by(user, group)


def _keep_an_organiser(group: Group, leaving: Membership) -> None:
    if lock_groups_only_organised_by(leaving.user, group):
        raise ValidationFailed(
            None, _("A group needs an organiser: make someone else an organiser first.")
        )


def leave_group(actor: User, group: Group) -> None:
    """Leave the group (or withdraw a request to join). The last organiser stays."""
    permissions.require_leave_group(actor, group)
    membership = permissions.membership_of(actor, group)
    if membership.role is MemberRole.ORGANISER and membership.state is MemberState.ACTIVE:
        _keep_an_organiser(group, membership)
    db.session.delete(membership)
    db.session.flush()


def remove_member(actor: User | None, group: Group, membership: Membership) -> None:
    if actor is not None:
        permissions.require_manage_members(actor, group)
    if membership.group_id != group.id:
        raise ValidationFailed(None, _("That person is not in this group."))
    if membership.role is MemberRole.ORGANISER and membership.state is MemberState.ACTIVE:
        _keep_an_organiser(group, membership)
    db.session.delete(membership)
    db.session.flush()


def _invite_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def invitation_token(group: Group, email: str) -> str:
    return _invite_serializer().dumps({"group": group.id, "email": email.strip().lower()})


def invite(actor: User | None, group: Group, email: str, now: datetime | None = None) -> str:
    """Email ``email`` a signed link that lets its holder join ``group``; returns the token."""
    if actor is not None:
        permissions.require_add_members(actor, group)
    email = (email or "").strip()
    if "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise ValidationFailed("email", _("Enter an email address, like name@example.org."))
    token = invitation_token(group, email)
    emails.queue_invitation(email, group, actor, token, INVITE_VALID_FOR.days, now=now)
    return token


def read_invitation(token: str) -> tuple[Group, str]:
    """The group and address an invitation link is for; refuses a forged or old link."""
    try:
        data = _invite_serializer().loads(token, max_age=int(INVITE_VALID_FOR.total_seconds()))
    except SignatureExpired:
        raise ValidationFailed(None, _("This invitation has expired: ask for a new one.")) from None
    except BadData:
        raise ValidationFailed(None, _("This invitation link is not valid.")) from None
    group = db.session.get(Group, data.get("group")) if isinstance(data, dict) else None
    if group is None:
        raise ValidationFailed(None, _("This invitation is for a group that no longer exists."))
    return group, data["email"]


def accept_invitation(actor: User, token: str) -> Membership:
    """Join the group the link invites to: the link is for one email address, the actor's."""
    group, email = read_invitation(token)
    if actor.email.lower() != email:
        raise PermissionDenied(
            _(
                "This invitation was sent to %(email)s; log in with that address to accept it.",
                email=email,
            )
        )
    permissions.require_join_group(actor, group, invited=True)
    return add_member(None, group, actor)


# Sessions -----------------------------------------------------------------------------------


@dataclass
class SessionInput:
    """A session as the organiser describes it: local wall-clock times in ``timezone``."""

    title: str
    starts_on: date
    starts_at: time
    ends_at: time
    timezone: str
    topic: str = ""
    place: str = ""
    online_url: str = ""
    capacity: int | None = None
    agenda_md: str = ""
    questions_md: str = ""
    summary_md: str = ""
    facilitator_id: int | None = None
    # Articles to read first, in order: each a slug or the article's address.
    readings: list[str] = field(default_factory=list)


def to_utc(day: date, clock: time, zone_name: str) -> datetime:
    """The instant a wall clock in ``zone_name`` shows ``clock`` on ``day``. In the hour the
    clocks skip, the time after the change; in the hour they repeat, the first of the two."""
    local = datetime.combine(day, clock).replace(tzinfo=ZoneInfo(zone_name))
    return local.astimezone(ZoneInfo("UTC"))


def _reading_slug(line: str) -> str:
    """An article's slug from its slug, its path or its full address."""
    line = line.strip().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return line.rsplit("/articles/", 1)[-1] if "/articles/" in line else line


def _readings(lines: list[str]) -> list[int]:
    """The ids of the articles named one a line, in order; an unknown one is refused by name."""
    slugs = list(dict.fromkeys(_reading_slug(line) for line in lines if line.strip()))
    if len(slugs) > MAX_READINGS:
        raise ValidationFailed(
            "readings", _("Choose at most %(limit)s readings.", limit=MAX_READINGS)
        )
    found = dict(
        db.session.execute(
            select(Article.slug, Article.id).where(
                Article.slug.in_(slugs), Article.is_hidden.is_(False)
            )
        ).all()
    )
    for slug in slugs:
        if slug not in found:
            raise ValidationFailed(
                "readings", _("There is no article “%(slug)s” on this site.", slug=slug)
            )
    return [found[slug] for slug in slugs]


def _apply_session_values(group: Group, session: GroupSession, values: SessionInput) -> None:
    session.title = _short(values.title, "title", 200, required=True)
    session.topic = _short(values.topic, "topic", 200)
    if not is_timezone(values.timezone):
        raise ValidationFailed("timezone", _("Choose a time zone from the list."))
    session.timezone = values.timezone
    starts = to_utc(values.starts_on, values.starts_at, values.timezone)
    ends = to_utc(values.starts_on, values.ends_at, values.timezone)
    if ends <= starts:
        raise ValidationFailed("ends_at", _("The session must end after it starts."))
    session.starts_at, session.ends_at = starts, ends
    session.place = _short(values.place, "place", 200)
    online_url = (values.online_url or "").strip()
    if online_url and not online_url.startswith(("https://", "http://")):
        raise ValidationFailed("online_url", _("Give the full link, starting with https://."))
    if len(online_url) > 500:
        raise ValidationFailed("online_url", _("Keep the link under 500 characters."))
    session.online_url = online_url
    if values.capacity is not None and values.capacity < 1:
        raise ValidationFailed(
            "capacity", _("Give at least 1 seat, or leave it empty for no limit.")
        )
    session.capacity = values.capacity
    for name in ("agenda", "questions", "summary"):
        source = (getattr(values, f"{name}_md") or "").strip()
        if len(source) > MAX_MARKDOWN:
            raise ValidationFailed(
                f"{name}_md",
                _("Keep this under %(limit)s characters.", limit=format_number(MAX_MARKDOWN)),
            )
        setattr(session, f"{name}_md", source)
        setattr(session, f"{name}_html", render_markdown(source) if source else "")
    if values.facilitator_id is not None:
        facilitator = db.session.get(User, values.facilitator_id)
        if facilitator is None or not permissions.is_group_member(facilitator, group):
            raise ValidationFailed("facilitator_id", _("The facilitator must be a group member."))
    session.facilitator_id = values.facilitator_id
    # Rows of readings that stay are kept (a new row for the same article would be inserted
    # before the old one is deleted, and break the unique pair).
    kept = {reading.article_id: reading for reading in session.readings}
    readings = []
    for position, article_id in enumerate(_readings(values.readings)):
        reading = kept.get(article_id) or SessionReading(article_id=article_id)
        reading.position = position
        readings.append(reading)
    session.readings = readings


def _open_session_discussion(session: GroupSession) -> None:
    db.session.add(Discussion(session_id=session.id, group_id=session.group_id))


def schedule_session(
    actor: User | None, group: Group, values: SessionInput, now: datetime | None = None
) -> GroupSession:
    """A new session with its own discussion thread."""
    if actor is not None:
        permissions.require_schedule_session(actor, group)
    now = now or utc_now()
    session = GroupSession(group_id=group.id, group=group, created_at=now, updated_at=now)
    _apply_session_values(group, session, values)
    db.session.add(session)
    db.session.flush()
    _open_session_discussion(session)
    db.session.flush()
    emails.queue_session_scheduled(actor, session, now=now)
    return session


def parse_season_lines(text: str) -> list[tuple[str, list[str]]]:
    """One session a line: its topic, then optionally "|" and its readings (article slugs or
    addresses, separated by spaces or commas)."""
    plan = []
    for line in (text or "").split("\n"):
        topic, _bar, readings = line.partition("|")
        topic = " ".join(topic.split())
        if topic:
            plan.append((topic, readings.replace(",", " ").split()))
    return plan


def schedule_season(
    actor: User | None,
    group: Group,
    first: SessionInput,
    plan: list[tuple[str, list[str]]],
    interval_days: int = 7,
    now: datetime | None = None,
) -> list[GroupSession]:
    """A season: one session per (topic, readings) in ``plan``, every week or fortnight from
    ``first``'s date, each at the same local time (so the hour holds when the clocks change).
    ``first`` gives what the sessions share: title, times, place, capacity, agenda."""
    if actor is not None:
        permissions.require_schedule_session(actor, group)
    if interval_days not in SEASON_INTERVALS:
        raise ValidationFailed("interval", _("Choose weekly or fortnightly."))
    if not plan:
        raise ValidationFailed("plan", _("Give one topic a line, one line for each session."))
    if len(plan) > 2 * SEASON_LENGTH:
        raise ValidationFailed(
            "plan", _("A season has at most %(limit)s sessions.", limit=2 * SEASON_LENGTH)
        )
    sessions = []
    season_key = uuid.uuid4().hex
    for number, (topic, readings) in enumerate(plan):
        values = replace(
            first,
            starts_on=first.starts_on + timedelta(days=interval_days * number),
            topic=topic,
            title=f"{first.title} {number + 1}: {topic}" if first.title.strip() else topic,
            readings=readings,
        )
        try:
            sessions.append(schedule_session(None, group, values, now))
            sessions[-1].season_key = season_key
        except ValidationFailed as error:
            field_name = "plan" if error.field in ("readings", "topic", "title") else error.field
            raise ValidationFailed(
                field_name,
                _("Session %(number)s: %(error)s", number=number + 1, error=error.message),
            ) from None
    return sessions


def edit_session(
    actor: User | None, session: GroupSession, values: SessionInput, now: datetime | None = None
) -> GroupSession:
    if actor is not None:
        permissions.require_edit_session(actor, session)
    if session.is_cancelled:
        raise ValidationFailed(None, _("A cancelled session cannot be changed."))
    _lock(session)
    _apply_session_values(session.group, session, values)
    session.sequence += 1
    session.updated_at = now or utc_now()
    db.session.flush()
    emails.queue_session_changed(session, now=now)
    _promote_waitlist(session, now or utc_now())
    return session


def session_input_of(session: GroupSession) -> SessionInput:
    """A stored session as the organiser's form describes it (local times in its zone)."""
    starts = local(session.starts_at, session.timezone)
    ends = local(session.ends_at, session.timezone)
    return SessionInput(
        title=session.title,
        topic=session.topic,
        starts_on=starts.date(),
        starts_at=starts.time().replace(tzinfo=None),
        ends_at=ends.time().replace(tzinfo=None),
        timezone=session.timezone,
        place=session.place,
        online_url=session.online_url,
        capacity=session.capacity,
        agenda_md=session.agenda_md,
        questions_md=session.questions_md,
        summary_md=session.summary_md,
        facilitator_id=session.facilitator_id,
        readings=[reading.article.slug for reading in session.readings],
    )


def later_sessions_of_season(session: GroupSession) -> list[GroupSession]:
    """The season's sessions after ``session`` that can still change (not cancelled)."""
    if session.season_key is None:
        return []
    return list(
        db.session.scalars(
            select(GroupSession)
            .where(
                GroupSession.group_id == session.group_id,
                GroupSession.season_key == session.season_key,
                GroupSession.starts_at > session.starts_at,
                GroupSession.status == SessionStatus.SCHEDULED,
            )
            .order_by(GroupSession.starts_at, GroupSession.id)
        )
    )


def edit_season_from(
    actor: User | None, session: GroupSession, values: SessionInput, now: datetime | None = None
) -> list[GroupSession]:
    """Change ``session`` as given, and every later session of its season in what a season's
    sessions share: the time of day, zone, place, link, seats, facilitator and agenda; a
    move of the date moves them all by as many days. Each keeps its own title, topic,
    readings, questions and summary. Returns the sessions changed, ``session`` first."""
    if actor is not None:
        permissions.require_edit_session(actor, session)
    later = later_sessions_of_season(session)
    moved = values.starts_on - local(session.starts_at, session.timezone).date()
    changed = [edit_session(actor, session, values, now)]
    for number, other in enumerate(later, start=2):
        own = session_input_of(other)
        shared = replace(
            values,
            title=own.title,
            topic=own.topic,
            starts_on=own.starts_on + moved,
            questions_md=own.questions_md,
            summary_md=own.summary_md,
            readings=own.readings,
        )
        try:
            changed.append(edit_session(None, other, shared, now))
        except ValidationFailed as error:
            raise ValidationFailed(
                error.field,
                _(
                    "%(title)s (session %(number)s): %(error)s",
                    title=other.title,
                    number=number,
                    error=error.message,
                ),
            ) from None
    return changed


@dataclass
class SeasonCopy:
    """Last season's structure, moved on: what the season form starts from."""

    first: SessionInput
    plan: str
    interval_days: int


def copy_last_season(group: Group, now: datetime | None = None) -> SeasonCopy | None:
    """The group's latest season (topics, readings, times, place, agenda) as a new season
    starting one interval after its last session, or on the same weekday after today if
    that date has passed. None when the group has never scheduled a season."""
    now = now or utc_now()
    latest = db.session.scalar(
        select(GroupSession.season_key)
        .where(GroupSession.group_id == group.id, GroupSession.season_key.is_not(None))
        .order_by(GroupSession.starts_at.desc(), GroupSession.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    sessions = list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id, GroupSession.season_key == latest)
            .order_by(GroupSession.starts_at, GroupSession.id)
        )
    )
    first = session_input_of(sessions[0])
    days = [local(s.starts_at, s.timezone).date() for s in sessions]
    interval = (days[1] - days[0]).days if len(days) > 1 else 7
    interval = interval if interval in SEASON_INTERVALS else 7
    start = days[-1] + timedelta(days=interval)
    today = local(now, first.timezone).date()
    if start <= today:
        start = today + timedelta(days=(start.weekday() - today.weekday()) % 7 or 7)
    # "Great Decisions 3: Trade" was named from the season's title "Great Decisions".
    title = first.title.removesuffix(f" 1: {first.topic}") if first.topic else first.title
    plan = "\n".join(
        s.topic + (" | " + " ".join(r.article.slug for r in s.readings) if s.readings else "")
        for s in sessions
        if s.topic
    )
    return SeasonCopy(
        replace(first, title=title, starts_on=start, summary_md="", readings=[]), plan, interval
    )


def cancel_session(
    actor: User | None, session: GroupSession, reason: str = "", now: datetime | None = None
) -> GroupSession:
    """Cancel the session; everyone who said they were going (or waits for a seat) is told."""
    if actor is not None:
        permissions.require_edit_session(actor, session)
    if session.is_cancelled:
        return session
    session.status = SessionStatus.CANCELLED
    session.sequence += 1
    session.updated_at = now or utc_now()
    db.session.flush()
    reason = _short(reason, "reason", 500)
    told = db.session.scalars(
        select(Rsvp).where(
            Rsvp.session_id == session.id,
            Rsvp.status.in_((RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.WAITLISTED)),
        )
    )
    for rsvp in told:
        emails.queue_session_cancelled(rsvp.user, session, reason, now=now)
    return session


# RSVPs and attendance ----------------------------------------------------------------------


def _lock(session: GroupSession) -> None:
    """Serialise seat-taking for one session: a no-op write takes PostgreSQL's row lock and
    SQLite's write lock before the seats are counted, so two last-seat requests queue up."""
    db.session.execute(
        update(GroupSession)
        .where(GroupSession.id == session.id)
        .values(sequence=GroupSession.sequence)
        .execution_options(synchronize_session=False)
    )


def seats_taken(session: GroupSession) -> int:
    return db.session.scalar(
        select(func.count(Rsvp.id)).where(
            Rsvp.session_id == session.id, Rsvp.status == RsvpStatus.GOING
        )
    )


def respond(
    actor: User, session: GroupSession, status: RsvpStatus | str, now: datetime | None = None
) -> Rsvp:
    """Going, maybe or declined. "Going" to a full session puts the actor on the waitlist;
    freeing a seat promotes the first person waiting, who is told."""
    now = now or utc_now()
    permissions.require_rsvp(actor, session, now)
    status = _enum(RsvpStatus, status, "status")
    if status is RsvpStatus.WAITLISTED:
        status = RsvpStatus.GOING
    _lock(session)
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.session_id == session.id, Rsvp.user_id == actor.id)
    )
    previous = rsvp.status if rsvp else None
    if status is RsvpStatus.GOING and previous in (RsvpStatus.GOING, RsvpStatus.WAITLISTED):
        return rsvp
    if status is RsvpStatus.GOING:
        full = session.capacity is not None and seats_taken(session) >= session.capacity
        status = RsvpStatus.WAITLISTED if full else RsvpStatus.GOING
    if rsvp is None:
        rsvp = Rsvp(session_id=session.id, user_id=actor.id, status=status, answered_at=now)
        db.session.add(rsvp)
    rsvp.status = status
    rsvp.answered_at = now
    db.session.flush()
    if previous is RsvpStatus.GOING and status is not RsvpStatus.GOING:
        _promote_waitlist(session, now)
    return rsvp


def _promote_waitlist(session: GroupSession, now: datetime) -> list[Rsvp]:
    """Fill free seats from the waitlist, first come first served."""
    if session.capacity is None:
        free = None
    else:
        free = session.capacity - seats_taken(session)
        if free <= 0:
            return []
    waiting = select(Rsvp).where(
        Rsvp.session_id == session.id, Rsvp.status == RsvpStatus.WAITLISTED
    )
    waiting = waiting.order_by(Rsvp.answered_at, Rsvp.id)
    if free is not None:
        waiting = waiting.limit(free)
    promoted = list(db.session.scalars(waiting))
    for rsvp in promoted:
        rsvp.status = RsvpStatus.GOING
        rsvp.answered_at = now
        emails.queue_promoted(rsvp.user, session, now=now)
    db.session.flush()
    return promoted


def mark_attendance(
    actor: User | None,
    session: GroupSession,
    attended_ids: set[int],
    walk_ins: list[User] | None = None,
) -> None:
    """Record who came: everyone who answered is marked present or absent; walk-ins (members
    who never answered) are added as present."""
    if actor is not None:
        permissions.require_mark_attendance(actor, session)
    rsvps = {
        r.user_id: r for r in db.session.scalars(select(Rsvp).where(Rsvp.session_id == session.id))
    }
    for user_id, rsvp in rsvps.items():
        rsvp.attended = user_id in attended_ids
    for user in walk_ins or []:
        if not permissions.is_group_member(user, session.group):
            raise ValidationFailed(
                "walk_in", _("%(name)s is not a member of the group.", name=user.display_name)
            )
        rsvp = rsvps.get(user.id)
        if rsvp is None:
            rsvp = Rsvp(session_id=session.id, user_id=user.id, status=RsvpStatus.GOING)
            db.session.add(rsvp)
        rsvp.attended = True
    db.session.flush()


# Reminders ---------------------------------------------------------------------------------

REMINDER_BEFORE = timedelta(hours=24)


def queue_reminders(now: datetime | None = None) -> int:
    """Queue the reminder (with the readings) for everyone going to a session that starts
    within the next 24 hours. Each (session, person) has an idempotency key, so running this
    every few minutes, or twice at once, queues each reminder once. Returns how many."""
    now = now or utc_now()
    due = db.session.execute(
        select(GroupSession, Rsvp)
        .join(Rsvp, Rsvp.session_id == GroupSession.id)
        .where(
            GroupSession.status == SessionStatus.SCHEDULED,
            GroupSession.starts_at > now,
            GroupSession.starts_at <= now + REMINDER_BEFORE,
            Rsvp.status == RsvpStatus.GOING,
        )
        .order_by(GroupSession.starts_at, Rsvp.id)
    ).all()
    queued = 0
    for session, rsvp in due:
        if emails.queue_reminder(rsvp.user, session, now=now) is not None:
            queued += 1
    return queued


# Group discussions of articles -------------------------------------------------------------


def open_group_discussion(actor: User | None, group: Group, article: Article):
    """The group's own discussion of ``article``, created on first use."""
    if actor is not None:
        permissions.require_open_group_discussion(actor, group)
    discussion = db.session.scalar(
        select(Discussion).where(
            Discussion.article_id == article.id, Discussion.group_id == group.id
        )
    )
    if discussion is None:
        discussion = Discussion(article_id=article.id, group_id=group.id)
        db.session.add(discussion)
        db.session.flush()
    return discussion


# Ballots ------------------------------------------------------------------------------------

MAX_QUESTIONS = 20
MAX_CHOICES = 12
# A question line starting with this lets voters tick several choices.
MULTIPLE_MARK = "[any]"


@dataclass
class QuestionInput:
    text: str
    choices: list[str]
    is_multiple: bool = False


@dataclass
class BallotInput:
    """A ballot as the organiser writes it; the deadline is a wall clock in the session's
    zone (both parts empty: no deadline, the organiser closes it)."""

    topic: str
    questions: list[QuestionInput]
    intro: str = ""
    closes_on: date | None = None
    closes_at: time | None = None


def parse_ballot_questions(text: str) -> list[QuestionInput]:
    """One question a line, its choices on the lines below it, each starting with "-".
    A question that starts with "[any]" takes several choices; the others take one."""
    questions: list[QuestionInput] = []
    for number, raw in enumerate((text or "").split("\n"), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        if line.startswith(("-", "*")):
            if not questions:
                raise ValidationFailed(
                    "questions",
                    _("Line %(number)s: write the question before its choices.", number=number),
                )
            questions[-1].choices.append(line[1:].strip())
            continue
        multiple = line.lower().startswith(MULTIPLE_MARK)
        if multiple:
            line = line[len(MULTIPLE_MARK) :].strip()
        questions.append(QuestionInput(line, [], multiple))
    return questions


def format_ballot_questions(ballot: Ballot) -> str:
    """The questions as the organiser wrote them (the inverse of ``parse_ballot_questions``)."""
    lines = []
    for question in ballot.questions:
        lines.append((f"{MULTIPLE_MARK} " if question.is_multiple else "") + question.text)
        lines += [f"- {choice.text}" for choice in question.choices]
        lines.append("")
    return "\n".join(lines).strip()


def _checked_questions(questions: list[QuestionInput]) -> list[QuestionInput]:
    if not questions:
        raise ValidationFailed("questions", _("Write at least one question with its choices."))
    if len(questions) > MAX_QUESTIONS:
        raise ValidationFailed(
            "questions", _("A ballot has at most %(limit)s questions.", limit=MAX_QUESTIONS)
        )
    for number, question in enumerate(questions, start=1):
        if not question.text or len(question.text) > 500:
            raise ValidationFailed(
                "questions",
                _("Question %(number)s: write it in under 500 characters.", number=number),
            )
        choices = [" ".join(c.split()) for c in question.choices]
        if len(choices) < 2 or len(choices) > MAX_CHOICES:
            raise ValidationFailed(
                "questions",
                _(
                    "Question %(number)s: give between 2 and %(limit)s choices, one a line.",
                    number=number,
                    limit=MAX_CHOICES,
                ),
            )
        if any(not c or len(c) > 200 for c in choices):
            raise ValidationFailed(
                "questions",
                _("Question %(number)s: keep each choice under 200 characters.", number=number),
            )
        if len({c.casefold() for c in choices}) != len(choices):
            raise ValidationFailed(
                "questions",
                _("Question %(number)s: the same choice is given twice.", number=number),
            )
        question.choices = choices
    return questions


def _apply_ballot_values(ballot: Ballot, session: GroupSession, values: BallotInput) -> None:
    ballot.topic = _short(values.topic or session.topic or session.title, "topic", 200, True)
    ballot.topic_key = slugify(ballot.topic, 200)
    intro = (values.intro or "").strip()
    if len(intro) > MAX_DESCRIPTION:
        raise ValidationFailed(
            "intro", _("Keep this under %(limit)s characters.", limit=MAX_DESCRIPTION)
        )
    ballot.intro = intro
    if (values.closes_on is None) != (values.closes_at is None):
        field_name = "closes_at" if values.closes_at is None else "closes_on"
        raise ValidationFailed(field_name, _("Give both the date and the time, or neither."))
    ballot.closes_at = (
        to_utc(values.closes_on, values.closes_at, session.timezone)
        if values.closes_on is not None
        else None
    )
    ballot.questions = [
        BallotQuestion(
            position=position,
            text=question.text,
            is_multiple=question.is_multiple,
            choices=[
                BallotChoice(position=i, text=text) for i, text in enumerate(question.choices)
            ],
        )
        for position, question in enumerate(_checked_questions(values.questions))
    ]


def create_ballot(actor: User | None, session: GroupSession, values: BallotInput) -> Ballot:
    """A draft ballot for the session: nobody sees it until the organiser opens it."""
    if actor is not None:
        permissions.require_start_ballot(actor, session)
    if session.is_cancelled:
        raise ValidationFailed(None, _("A cancelled session has no ballot."))
    if db.session.scalar(select(Ballot.id).where(Ballot.session_id == session.id)) is not None:
        raise ValidationFailed(None, _("This session has a ballot already."))
    ballot = Ballot(session_id=session.id, session=session)
    _apply_ballot_values(ballot, session, values)
    db.session.add(ballot)
    db.session.flush()
    return ballot


def edit_ballot(actor: User | None, ballot: Ballot, values: BallotInput) -> Ballot:
    """Change a draft; once people can vote, the questions they answer stay as they were."""
    if actor is not None:
        permissions.require_start_ballot(actor, ballot.session)
    if ballot.status is not BallotStatus.DRAFT:
        raise ValidationFailed(None, _("The ballot is open: its questions can no longer change."))
    _apply_ballot_values(ballot, ballot.session, values)
    db.session.flush()
    return ballot


def open_ballot(actor: User | None, ballot: Ballot, now: datetime | None = None) -> Ballot:
    if actor is not None:
        permissions.require_start_ballot(actor, ballot.session)
    now = now or utc_now()
    if ballot.status is BallotStatus.OPEN:
        return ballot
    if ballot.status is BallotStatus.CLOSED:
        raise ValidationFailed(None, _("A closed ballot stays closed: its results are final."))
    if ballot.session.is_cancelled:
        raise ValidationFailed(None, _("The session is cancelled: its ballot cannot open."))
    if ballot.closes_at is not None and ballot.closes_at <= now:
        raise ValidationFailed(None, _("The ballot's deadline has passed: set a later one first."))
    ballot.status = BallotStatus.OPEN
    db.session.flush()
    return ballot


def close_ballot(actor: User | None, ballot: Ballot, now: datetime | None = None) -> Ballot:
    """Close the ballot: no more votes; the group's members see the results."""
    if actor is not None:
        permissions.require_manage_ballot(actor, ballot.session)
    if ballot.status is BallotStatus.DRAFT:
        raise ValidationFailed(None, _("The ballot was never opened."))
    ballot.status = BallotStatus.CLOSED
    now = now or utc_now()
    if ballot.closes_at is None or ballot.closes_at > now:
        ballot.closes_at = now
    db.session.flush()
    return ballot


def vote(
    actor: User, ballot: Ballot, answers: dict[int, list[int]], now: datetime | None = None
) -> None:
    """Record one person's vote: that they voted (refused the second time, even when two
    votes race), and a count added to each choice they ticked. Which choices were theirs is
    written nowhere. ``answers`` maps each question's id to the ids of the ticked choices."""
    now = now or utc_now()
    permissions.require_ballot_vote(actor, ballot, now)
    ticked: list[int] = []
    for number, question in enumerate(ballot.questions, start=1):
        chosen = set(answers.get(question.id, []))
        valid = {choice.id for choice in question.choices}
        if not chosen:
            raise ValidationFailed(
                f"q{question.id}", _("Answer question %(number)s.", number=number)
            )
        if not chosen <= valid:
            raise ValidationFailed(f"q{question.id}", _("Choose from the choices given."))
        if not question.is_multiple and len(chosen) > 1:
            raise ValidationFailed(f"q{question.id}", _("Choose one answer."))
        ticked += sorted(chosen)
    # The unique (ballot, person) pair refuses a second vote that passed the check above at
    # the same moment; the caller rolls the transaction back. The refusal is worded first:
    # finding the reader's language may read their account, which a failed flush forbids.
    refusal = _("You have already voted in this ballot.")
    db.session.add(BallotVoter(ballot_id=ballot.id, user_id=actor.id))
    try:
        db.session.flush()
    except IntegrityError:
        raise ValidationFailed(None, refusal) from None
    # Counters raised in the database (not read, added and written back), so votes sent at
    # the same moment all count.
    db.session.execute(
        update(BallotChoice)
        .where(BallotChoice.id.in_(ticked))
        .values(votes=BallotChoice.votes + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Ballot)
        .where(Ballot.id == ballot.id)
        .values(voter_count=Ballot.voter_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    for question in ballot.questions:
        for choice in question.choices:
            db.session.expire(choice, ["votes"])
    db.session.expire(ballot, ["voter_count"])


# The personal calendar feed ------------------------------------------------------------------


def _feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def renew_calendar_feed(actor: User) -> CalendarFeed:
    """A new secret address for the actor's calendar; the old one (if any) stops working."""
    permissions.require_manage_calendar_feed(actor)
    feed = _feed_of(actor)
    if feed is None:
        feed = CalendarFeed(user_id=actor.id)
        db.session.add(feed)
    # 256 random bits: the address is the only key to the calendar.
    feed.token = secrets.token_urlsafe(32)
    feed.created_at = utc_now()
    db.session.flush()
    return feed


def ensure_calendar_feed(actor: User) -> CalendarFeed:
    """The actor's calendar address, made the first time (the demo)."""
    return _feed_of(actor) or renew_calendar_feed(actor)


def revoke_calendar_feed(actor: User) -> None:
    """Turn the secret address off: calendars subscribed to it get nothing more."""
    permissions.require_manage_calendar_feed(actor)
    feed = _feed_of(actor)
    if feed is not None:
        db.session.delete(feed)
        db.session.flush()
