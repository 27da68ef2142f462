"""Pages of groups and their sessions. Rules are in services; reads in queries."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.articles.queries import get_article_for
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.forms import Form, show_refusal
from forum.core.pagination import page_number
from forum.core.timefmt import local, time_tag
from forum.discussions.rendering import shown_thread
from forum.extensions import db
from forum.groups import calendar, permissions, queries, services
from forum.groups.forms import (
    ROLE_LABELS,
    RSVP_LABELS,
    VENUE_LABELS,
    BallotForm,
    CancelForm,
    GroupForm,
    InviteForm,
    RsvpForm,
    SeasonForm,
    SessionEditForm,
    SessionForm,
)
from forum.groups.models import Group, GroupSession, MemberRole, RsvpStatus

bp = Blueprint("groups", __name__)

# The feed carries the sessions of the last few weeks as well as the future ones.
CALENDAR_PAST = timedelta(days=60)


def _session_url(session: GroupSession, **params) -> str:
    return url_for("groups.show_session", slug=session.group.slug, session_id=session.id, **params)


@bp.app_template_filter("zonetime")
def zonetime(moment, zone_name: str):
    """A time in a named zone (the group's), beside the viewer's ``|localtime``."""
    return time_tag(moment, zone_name)


@bp.app_template_global()
def group_label(value) -> str:
    """What a stored value (a venue, a member's role, an RSVP) is called in the reader's
    language; templates show this, never the value itself."""
    for labels in (VENUE_LABELS, ROLE_LABELS, RSVP_LABELS):
        if value in labels:
            return str(labels[value])
    return str(value)


# The directory and the group ---------------------------------------------------------------


@bp.get("/groups/")
def list_groups():
    name = request.args.get("name", "")[:200]
    place = request.args.get("place", "")[:200]
    page = queries.list_groups(
        current_user, page_number(request.args.get("page")), name=name, place=place
    )
    return render_template("groups/list.html", page=page, name=name, place=place)


def _group_input(form: GroupForm) -> services.GroupInput:
    return services.GroupInput(
        name=form.name.data or "",
        description=form.description.data or "",
        place=form.place.data or "",
        venue_type=form.venue_type.data,
        meeting_pattern=form.meeting_pattern.data or "",
        visibility=form.visibility.data,
        join_policy=form.join_policy.data,
        timezone=form.timezone.data or "UTC",
    )


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def create_group():
    permissions.require_create_group(current_user)
    form = GroupForm(data={"timezone": current_user.timezone} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            group = services.create_group(current_user, _group_input(form))
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The group is created; you are its organiser."), "success")
            return redirect(url_for(".show_group", slug=group.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("groups/edit.html", form=form, group=None), status


@bp.route("/groups/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_group(slug: str):
    group = queries.get_group_for(current_user, slug)
    permissions.require_edit_group(current_user, group)
    form = GroupForm(obj=group if request.method == "GET" else None)
    if request.method == "GET":
        form.venue_type.data = group.venue_type.value
        form.visibility.data = group.visibility.value
        form.join_policy.data = group.join_policy.value
    if form.validate_on_submit():
        try:
            services.edit_group(current_user, group, _group_input(form))
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The group is saved."), "success")
            return redirect(url_for(".show_group", slug=group.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("groups/edit.html", form=form, group=group), status


@bp.get("/groups/<slug>")
def show_group(slug: str):
    group = queries.get_group_for(current_user, slug)
    now = utc_now()
    leaders = queries.group_leaders(group)
    members = queries.group_members(group, 1, queries.MEMBERS_ON_GROUP_PAGE)
    return render_template(
        "groups/show.html",
        group=group,
        membership=permissions.membership_of(current_user, group),
        leaders=leaders,
        members=members,
        # Every active member is a leader or counted in the members' page total.
        member_count=len(leaders) + members.total,
        upcoming=queries.upcoming_sessions(group, now),
        past=queries.past_sessions(group, now, limit=5),
        discussions=queries.group_discussions(group),
        articles=queries.group_articles(group, page_number(request.args.get("page"))),
        ballots=queries.group_ballots(group),
        archived=permissions.is_archived(group),
        now=now,
    )


@bp.get("/groups/<slug>/members")
def list_members(slug: str):
    group = queries.get_group_for(current_user, slug)
    manages = permissions.can_manage_members(current_user, group)
    return render_template(
        "groups/members.html",
        group=group,
        leaders=queries.group_leaders(group),
        members=queries.group_members(group, page_number(request.args.get("page"))),
        member_count=queries.member_count(group),
        requests=queries.pending_requests(group) if manages else [],
        invite_form=InviteForm() if manages else None,
        roles=list(MemberRole),
    )


def _checked_post() -> None:
    """A button-only form: the CSRF token is its whole content."""
    if not Form().validate_on_submit():
        abort(400, _("The form expired; go back, reload the page and try again."))


@bp.post("/groups/<slug>/join")
@login_required
def join_group(slug: str):
    group = queries.get_group_for(current_user, slug)
    _checked_post()
    membership = services.join_group(current_user, group)
    db.session.commit()
    if membership.state.value == "pending":
        flash(_("Your request to join is sent; an organiser will answer it."), "info")
    else:
        flash(_("Welcome to %(group)s.", group=group.name), "success")
    return redirect(url_for(".show_group", slug=group.slug))


@bp.post("/groups/<slug>/leave")
@login_required
def leave_group(slug: str):
    group = queries.get_group_for(current_user, slug)
    _checked_post()
    try:
        services.leave_group(current_user, group)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("You have left %(group)s.", group=group.name), "success")
        if not permissions.can_view_group(current_user, group):
            return redirect(url_for(".list_groups"))
    return redirect(url_for(".show_group", slug=group.slug))


@bp.post("/groups/<slug>/members/<int:membership_id>/<action>")
@login_required
def manage_member(slug: str, membership_id: int, action: str):
    group = queries.get_group_for(current_user, slug)
    permissions.require_manage_members(current_user, group)
    _checked_post()
    membership = queries.find_membership(group, membership_id)
    name = membership.user.display_name
    try:
        if action == "approve":
            services.approve_request(current_user, group, membership)
            message = _("%(name)s is now a member; they have been told.", name=name)
        elif action == "decline":
            services.decline_request(current_user, group, membership)
            message = _("%(name)s's request is declined; they have been told.", name=name)
        elif action == "remove":
            services.remove_member(current_user, group, membership)
            message = _("%(name)s is no longer a member.", name=name)
        elif action == "role":
            services.add_member(current_user, group, membership.user, request.form.get("role", ""))
            message = _("%(name)s is now %(role)s.", name=name, role=ROLE_LABELS[membership.role])
        else:
            abort(404)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for(".list_members", slug=group.slug))


@bp.post("/groups/<slug>/invitations")
@login_required
def invite(slug: str):
    group = queries.get_group_for(current_user, slug)
    permissions.require_manage_members(current_user, group)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(current_user, group, form.email.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("An invitation is on its way to %(email)s.", email=form.email.data), "success")
            return redirect(url_for(".list_members", slug=group.slug))
    for errors in form.errors.values():
        flash(" ".join(errors), "error")
    return redirect(url_for(".list_members", slug=group.slug))


@bp.route("/groups/invitations/<token>", methods=["GET", "POST"])
@login_required
def accept_invitation(token: str):
    try:
        group, email = services.read_invitation(token)
    except ValidationFailed as error:
        return render_template("groups/invitation.html", error=error.message, group=None), 400
    if request.method == "POST":
        _checked_post()
        try:
            services.accept_invitation(current_user, token)
        except ValidationFailed as error:
            db.session.rollback()
            return render_template("groups/invitation.html", error=error.message, group=group), 400
        db.session.commit()
        flash(_("Welcome to %(group)s.", group=group.name), "success")
        return redirect(url_for(".show_group", slug=group.slug))
    # Say at once what pressing the button would be refused for (an archived group, say).
    refusal = permissions.join_refusal(current_user, group, invited=True)
    return (
        render_template("groups/invitation.html", group=group, email=email, error=refusal),
        403 if refusal else 200,
    )


# Sessions -----------------------------------------------------------------------------------


def _session_input(form: SessionForm) -> services.SessionInput:
    return services.SessionInput(
        title=form.title.data or "",
        topic=form.topic.data or "",
        starts_on=form.starts_on.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        timezone=form.timezone.data or "UTC",
        place=form.place.data or "",
        online_url=form.online_url.data or "",
        capacity=form.capacity.data,
        agenda_md=form.agenda_md.data or "",
        questions_md=form.questions_md.data or "",
        summary_md=form.summary_md.data or "",
        facilitator_id=int(form.facilitator_id.data) if form.facilitator_id.data else None,
        readings=(form.readings.data or "").split(),
    )


def _new_form(form_class, group: Group):
    data = None
    if request.method == "GET":
        data = {"timezone": group.timezone, "place": group.place}
    return form_class(queries.all_members(group), data=data)


@bp.route("/groups/<slug>/sessions/new", methods=["GET", "POST"])
@login_required
def schedule_session(slug: str):
    group = queries.get_group_for(current_user, slug)
    permissions.require_schedule_session(current_user, group)
    form = _new_form(SessionForm, group)
    if form.validate_on_submit():
        try:
            session = services.schedule_session(current_user, group, _session_input(form))
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The session is scheduled."), "success")
            return redirect(_session_url(session))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("groups/session_form.html", form=form, group=group, session=None), status


def _season_data(copy: services.SeasonCopy) -> dict:
    first = copy.first
    return {
        "title": first.title,
        "plan": copy.plan,
        "interval": str(copy.interval_days),
        "starts_on": first.starts_on,
        "starts_at": first.starts_at,
        "ends_at": first.ends_at,
        "timezone": first.timezone,
        "place": first.place,
        "online_url": first.online_url,
        "capacity": first.capacity,
        "facilitator_id": str(first.facilitator_id or ""),
        "agenda_md": first.agenda_md,
        "questions_md": first.questions_md,
    }


@bp.route("/groups/<slug>/seasons/new", methods=["GET", "POST"])
@login_required
def schedule_season(slug: str):
    group = queries.get_group_for(current_user, slug)
    permissions.require_schedule_session(current_user, group)
    copy = services.copy_last_season(group) if request.method == "GET" else None
    if copy is not None and request.args.get("copy") == "last":
        form = SeasonForm(queries.all_members(group), data=_season_data(copy))
    else:
        form = _new_form(SeasonForm, group)
    if form.validate_on_submit():
        try:
            sessions = services.schedule_season(
                current_user,
                group,
                _session_input(form),
                services.parse_season_lines(form.plan.data),
                int(form.interval.data),
            )
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The season is scheduled: %(num)d session.",
                    "The season is scheduled: %(num)d sessions.",
                    len(sessions),
                ),
                "success",
            )
            return redirect(url_for(".show_group", slug=group.slug))
    status = 422 if form.errors or form.form_errors else 200
    return (
        render_template(
            "groups/season_form.html",
            form=form,
            group=group,
            can_copy=copy is not None and request.args.get("copy") != "last",
        ),
        status,
    )


def _session_at(slug: str, session_id: int) -> tuple[Group, GroupSession]:
    """The group and its session the address names, as the viewer may see them (404 if not)."""
    group = queries.get_group_for(current_user, slug)
    return group, queries.get_session_for(current_user, group, session_id)


@bp.get("/groups/<slug>/sessions/<int:session_id>")
def show_session(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    discussion, ballot = queries.session_discussion_and_ballot(session)
    thread = shown_thread(
        current_user,
        discussion,
        page_number(request.args.get("page")),
        request.args.get("sort", "oldest"),
    )
    rsvp = queries.rsvp_of(current_user, session)
    return render_template(
        "groups/session.html",
        group=group,
        session=session,
        discussion=discussion,
        thread=thread,
        rsvp=rsvp,
        counts=queries.rsvp_counts(session),
        rsvps=queries.session_rsvps(session)
        if permissions.can_see_rsvps(current_user, session)
        else [],
        rsvp_form=RsvpForm(data={"status": rsvp.status.value} if rsvp else None),
        ballot=ballot,
        archived=permissions.is_archived(group),
        now=utc_now(),
    )


@bp.route("/groups/<slug>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    permissions.require_edit_session(current_user, session)
    data = None
    if request.method == "GET":
        starts = local(session.starts_at, session.timezone)
        ends = local(session.ends_at, session.timezone)
        data = {
            "title": session.title,
            "topic": session.topic,
            "starts_on": starts.date(),
            "starts_at": starts.time().replace(tzinfo=None),
            "ends_at": ends.time().replace(tzinfo=None),
            "timezone": session.timezone,
            "place": session.place,
            "online_url": session.online_url,
            "capacity": session.capacity,
            "facilitator_id": str(session.facilitator_id or ""),
            "readings": "\n".join(r.article.slug for r in session.readings),
            "agenda_md": session.agenda_md,
            "questions_md": session.questions_md,
            "summary_md": session.summary_md,
        }
    form = SessionEditForm(queries.all_members(group), data=data)
    later = services.later_sessions_of_season(session)
    if form.validate_on_submit():
        try:
            if later and form.scope.data == "season":
                changed = services.edit_season_from(current_user, session, _session_input(form))
                message = ngettext(
                    "The session and the %(num)d after it are saved.",
                    "The session and the %(num)d after it are saved.",
                    len(changed) - 1,
                )
            else:
                services.edit_session(current_user, session, _session_input(form))
                message = _("The session is saved.")
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(_session_url(session))
    status = 422 if form.errors or form.form_errors else 200
    return (
        render_template(
            "groups/session_form.html", form=form, group=group, session=session, later=later
        ),
        status,
    )


@bp.route("/groups/<slug>/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_session(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    permissions.require_edit_session(current_user, session)
    form = CancelForm()
    if form.validate_on_submit():
        services.cancel_session(current_user, session, form.reason.data or "")
        db.session.commit()
        flash(_("The session is cancelled; the people going have been told."), "success")
        return redirect(_session_url(session))
    status = 422 if form.errors else 200
    return render_template("groups/cancel.html", form=form, group=group, session=session), status


@bp.post("/groups/<slug>/sessions/<int:session_id>/rsvp")
@login_required
def rsvp(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    form = RsvpForm()
    if not form.validate_on_submit():
        abort(400, _("Choose going, maybe or not going."))
    answer = services.respond(current_user, session, form.status.data)
    db.session.commit()
    messages = {
        RsvpStatus.GOING: _("You are going. See you there!"),
        RsvpStatus.WAITLISTED: _(
            "The session is full: you are on the waitlist, and we will email you if a seat "
            "frees up."
        ),
        RsvpStatus.MAYBE: _("You might come."),
        RsvpStatus.DECLINED: _("You are not going."),
    }
    flash(messages[answer.status], "success")
    return redirect(_session_url(session, _anchor="rsvp"))


@bp.route("/groups/<slug>/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def mark_attendance(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    permissions.require_mark_attendance(current_user, session)
    if request.method == "POST":
        _checked_post()
        attended = {int(i) for i in request.form.getlist("attended") if i.isdigit()}
        walk_ins = []
        for value in request.form.getlist("walk_in"):
            user = queries.find_active_member(group, int(value)) if value.isdigit() else None
            if user is not None:
                walk_ins.append(user)
        services.mark_attendance(current_user, session, attended, walk_ins)
        db.session.commit()
        flash(_("Attendance is saved."), "success")
        return redirect(url_for(".mark_attendance", slug=group.slug, session_id=session.id))
    rsvps = queries.session_rsvps(session)
    answered = {r.user_id for r in rsvps}
    return render_template(
        "groups/attendance.html",
        group=group,
        session=session,
        rsvps=rsvps,
        others=[m for m in queries.all_members(group) if m.id not in answered],
    )


# Exports ----------------------------------------------------------------------------------


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a leading =, +, - or @ would run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(header: list[str], rows, filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/groups/<slug>/sessions/<int:session_id>/attendees.csv")
@login_required
def export_attendees(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    permissions.require_mark_attendance(current_user, session)
    rows = (
        [
            r.user.display_name,
            r.user.email,
            r.status.value,
            r.answered_at.isoformat(timespec="seconds"),
            "" if r.attended is None else ("yes" if r.attended else "no"),
        ]
        for r in queries.session_rsvps(session)
    )
    header = ["name", "email", "answer", "answered_at_utc", "attended"]
    return _csv(header, rows, f"session-{session.id}-attendees.csv")


@bp.get("/groups/<slug>/report.csv")
@login_required
def export_season_report(slug: str):
    group = queries.get_group_for(current_user, slug)
    permissions.require_edit_group(current_user, group)
    rows = (
        [
            local(session.starts_at, session.timezone).strftime("%Y-%m-%d %H:%M"),
            session.timezone,
            session.title,
            session.topic,
            session.status.value,
            session.capacity or "",
            *(counts[status] for status in RsvpStatus),
            came,
            "" if ballots is None else ballots,
        ]
        for session, counts, came, ballots in queries.season_report(group)
    )
    header = ["starts_local", "timezone", "title", "topic", "status", "capacity"]
    header += [status.value for status in RsvpStatus] + ["attended", "ballots_completed"]
    return _csv(header, rows, f"{group.slug}-sessions.csv")


# Calendars ---------------------------------------------------------------------------------


def _ics(body: bytes, filename: str) -> Response:
    """A calendar file with an ETag of its content: calendar apps poll, and a 304 spares them
    (and us) the whole file while nothing changed."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/groups/<slug>/calendar.ics")
def group_calendar(slug: str):
    group = queries.get_group_for(current_user, slug)
    sessions = queries.calendar_sessions(group, utc_now() - CALENDAR_PAST)
    return _ics(calendar.group_calendar(group, sessions), f"{group.slug}.ics")


@bp.get("/groups/my/calendar")
@login_required
def my_calendar():
    """The settings of one's calendar address: see it, renew it, turn it off."""
    permissions.require_manage_calendar_feed(current_user)
    feed = queries.calendar_feed_of(current_user)
    address = (
        current_app.config["BASE_URL"].rstrip("/") + url_for(".personal_calendar", token=feed.token)
        if feed
        else None
    )
    return render_template("groups/my_calendar.html", feed=feed, address=address)


@bp.post("/groups/my/calendar/<any(renew, revoke):action>")
@login_required
def change_my_calendar(action: str):
    _checked_post()
    if action == "renew":
        services.renew_calendar_feed(current_user)
        message = _("Your calendar has a new address; the old one no longer works.")
    else:
        services.revoke_calendar_feed(current_user)
        message = _("Your calendar address is turned off.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".my_calendar"))


@bp.get("/groups/my/calendar/<token>.ics")
def personal_calendar(token: str):
    """The secret address's calendar: no login, since calendar apps have none to give."""
    feed = queries.find_calendar_feed(token)
    sessions = queries.sessions_going_to(feed.user_id, utc_now() - CALENDAR_PAST)
    response = _ics(calendar.personal_calendar(feed.user, sessions), "my-sessions.ics")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/groups/<slug>/sessions/<int:session_id>/calendar.ics")
def session_calendar(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    return _ics(calendar.render_calendar(group.name, [session]), f"session-{session.id}.ics")


# Group discussions of articles -------------------------------------------------------------


@bp.get("/groups/discussions/new")
@login_required
def choose_group_for_discussion():
    """From an article page: the viewer's groups, each with its discussion of the article or a
    button to open one."""
    article = get_article_for(current_user, request.args.get("article", ""))
    discussions = queries.article_discussions(current_user, article)[1]
    by_group = {d.group_id: d for d in discussions}
    return render_template(
        "groups/choose_group.html",
        article=article,
        choices=[(group, by_group.get(group.id)) for group in queries.viewer_groups(current_user)],
    )


@bp.post("/groups/<slug>/discussions")
@login_required
def open_discussion(slug: str):
    group = queries.get_group_for(current_user, slug)
    _checked_post()
    article = get_article_for(current_user, request.form.get("article", ""))
    services.open_group_discussion(current_user, group, article)
    db.session.commit()
    return redirect(
        url_for("articles.show_article", slug=article.slug, group=group.slug, _anchor="discussion")
    )


# Ballots ----------------------------------------------------------------------------------


def _ballot_url(session: GroupSession) -> str:
    return url_for("groups.show_ballot", slug=session.group.slug, session_id=session.id)


def _ballot_page(group, session, ballot, form=None, chosen=None, errors=None, status=200):
    now = utc_now()
    shows_results = permissions.can_see_ballot_results(current_user, ballot, now)
    return (
        render_template(
            "groups/ballot.html",
            group=group,
            session=session,
            ballot=ballot,
            form=form or Form(),
            chosen=chosen or {},
            errors=errors or {},
            now=now,
            refusal=permissions.vote_refusal(current_user, ballot, now),
            voted=permissions.has_voted(current_user, ballot),
            results=queries.ballot_results(ballot) if shows_results else None,
            min_count=queries.ballot_min_count(),
            archived=permissions.is_archived(group),
        ),
        status,
    )


@bp.get("/groups/<slug>/sessions/<int:session_id>/ballot")
def show_ballot(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    return _ballot_page(group, session, queries.get_ballot_for(current_user, session))


def _ballot_input(form: BallotForm) -> services.BallotInput:
    return services.BallotInput(
        topic=form.topic.data or "",
        intro=form.intro.data or "",
        closes_on=form.closes_on.data,
        closes_at=form.closes_at.data,
        questions=services.parse_ballot_questions(form.questions.data or ""),
    )


@bp.route("/groups/<slug>/sessions/<int:session_id>/ballot/edit", methods=["GET", "POST"])
@login_required
def edit_ballot(slug: str, session_id: int):
    """Write the session's ballot, or change it while it is a draft."""
    group, session = _session_at(slug, session_id)
    permissions.require_manage_ballot(current_user, session)
    ballot = queries.session_ballot(session)
    data = None
    if request.method == "GET":
        if ballot is None:
            data = {"topic": session.topic or session.title}
        else:
            closes = local(ballot.closes_at, session.timezone) if ballot.closes_at else None
            data = {
                "topic": ballot.topic,
                "intro": ballot.intro,
                "closes_on": closes.date() if closes else None,
                "closes_at": closes.time().replace(tzinfo=None) if closes else None,
                "questions": services.format_ballot_questions(ballot),
            }
    form = BallotForm(data=data)
    if form.validate_on_submit():
        try:
            values = _ballot_input(form)
            if ballot is None:
                services.create_ballot(current_user, session, values)
            else:
                services.edit_ballot(current_user, ballot, values)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The ballot is saved. Open it when members may vote."), "success")
            return redirect(_ballot_url(session))
    status = 422 if form.errors or form.form_errors else 200
    return (
        render_template(
            "groups/ballot_form.html", form=form, group=group, session=session, ballot=ballot
        ),
        status,
    )


@bp.post("/groups/<slug>/sessions/<int:session_id>/ballot/<any(open, close):action>")
@login_required
def change_ballot(slug: str, session_id: int, action: str):
    group, session = _session_at(slug, session_id)
    permissions.require_manage_ballot(current_user, session)
    ballot = queries.get_ballot_for(current_user, session)
    _checked_post()
    try:
        if action == "open":
            services.open_ballot(current_user, ballot)
            message = _("The ballot is open: members who were going, or came, can vote.")
        else:
            services.close_ballot(current_user, ballot)
            message = _("The ballot is closed; the group's members can see the results.")
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(_ballot_url(session))


@bp.post("/groups/<slug>/sessions/<int:session_id>/ballot/vote")
@login_required
def vote(slug: str, session_id: int):
    group, session = _session_at(slug, session_id)
    ballot = queries.get_ballot_for(current_user, session)
    form = Form()
    if not form.validate_on_submit():
        abort(400, _("The form expired; go back, reload the page and try again."))
    chosen = {
        question.id: [int(v) for v in request.form.getlist(f"q{question.id}") if v.isdigit()]
        for question in ballot.questions
    }
    try:
        services.vote(current_user, ballot, chosen)
    except ValidationFailed as error:
        db.session.rollback()
        errors = {error.field: error.message} if error.field else {None: error.message}
        return _ballot_page(group, session, ballot, form, chosen, errors, status=422)
    db.session.commit()
    flash(_("Thank you: your vote is counted. Nobody can see how you voted."), "success")
    return redirect(_ballot_url(session))


@bp.get("/ballots/")
def list_ballot_topics():
    return render_template(
        "groups/ballot_topics.html",
        topics=queries.ballot_topics(utc_now()),
        min_count=queries.ballot_min_count(),
    )


@bp.get("/ballots/<topic_key>")
def show_topic_results(topic_key: str):
    return render_template(
        "groups/ballot_topic.html",
        results=queries.topic_results(topic_key, utc_now()),
        min_count=queries.ballot_min_count(),
    )


@bp.get("/ballots/<topic_key>/results.csv")
def export_topic_results(topic_key: str):
    results = queries.topic_results(topic_key, utc_now())
    rows = (
        [
            results.topic,
            question.text,
            "several" if question.is_multiple else "one",
            choice.text,
            choice.votes,
            f"{choice.percent:.1f}",
            question.voters,
            results.ballots,
            results.groups,
        ]
        for question in results.questions
        for choice in question.choices
    )
    header = ["topic", "question", "answers", "choice", "votes", "percent", "voters", "ballots"]
    header.append("groups")
    return _csv(header, rows, f"ballot-{topic_key}.csv")
