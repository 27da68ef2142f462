"""The moderation queue, its actions, flags and the audit log. Rules are in services."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.accounts.permissions import is_admin
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.core.forms import show_refusal
from forum.core.pagination import page_number
from forum.core.urls import safe_next
from forum.discussions import queries as discussion_queries
from forum.discussions.models import PostState
from forum.extensions import db, limiter
from forum.moderation import permissions, policy, queries, services, signals
from forum.moderation.forms import (
    FLAG_REASON_NAMES,
    INHERIT,
    BanForm,
    FlagForm,
    ModeratorEditForm,
    NoteForm,
    PolicyForm,
    RejectForm,
    ScopedPolicyForm,
    SuspendForm,
    WarnForm,
)
from forum.moderation.log import ACTION_NAMES, action_name
from forum.moderation.models import FLAG_REASON_LABELS, Mode

bp = Blueprint("moderation", __name__)
# Every page shows the site's read-only banner and a signed-in person's penalty or warning;
# threads mark featured posts.
bp.record_once(
    lambda state: state.app.jinja_env.globals.update(
        penalty_notice=permissions.penalty_notice,
        pending_warning=permissions.pending_warning,
        group_ban_notice=permissions.group_ban_notice,
        is_read_only=policy.is_read_only,
        featured_posts=queries.featured_posts,
        is_featured=queries.is_featured,
        action_name=action_name,
        flag_reason_name=lambda reason: FLAG_REASON_NAMES[reason],
        hold_reason_name=hold_reason_name,
    )
)
bp.record_once(lambda state: signals.connect())

# What still works while the site is read-only: signing in and out (an administrator must be
# able to switch it back), and the moderators' own work.
READ_ONLY_OPEN = ("accounts.login", "accounts.logout")

# The queue's tabs (queries.TABS) and the states of the posts in it, as the reader calls them.
TAB_NAMES = {
    "pending": _l("Pending"),
    "flagged": _l("Flagged"),
    # The log names an action "Rejected" too; in French the tab is plural, the action not.
    "rejected": _lp("queue tab", "Rejected"),
    "approved": _l("Recently approved"),
}
EMPTY_TABS = {
    "pending": _l("Nothing here: no post is waiting for review."),
    "flagged": _l("Nothing here: no post is flagged."),
    "rejected": _l("Nothing here: no post was rejected."),
    "approved": _l("Nothing here: no post was approved in the last seven days."),
}
STATE_NAMES = {
    PostState.PENDING: _l("pending"),
    PostState.PUBLISHED: _l("published"),
    PostState.REJECTED: _l("rejected"),
    PostState.DELETED: _l("deleted"),
}
EXPIRED = _l("The form had expired; try again.")
HELD_NAMES = {
    policy.HELD_ALL: _l("pre-moderation"),
    policy.HELD_NEW_USER: _l("new user"),
    policy.HELD_LINK: _l("link from a new user"),
}
# A moderator's flag stores the reason's English label, in lower case.
_FLAG_REASON_BY_LABEL = {label.lower(): reason for reason, label in FLAG_REASON_LABELS.items()}


def _carried(template: str, label: str) -> str | None:
    """What a stored reason written from ``template`` carries in place of its "{}"."""
    head, tail = template.split("{}")
    if len(label) > len(head) + len(tail) and label.startswith(head) and label.endswith(tail):
        return label[len(head) : len(label) - len(tail)]
    return None


def hold_reason_name(label: str) -> str:
    """A post's stored hold reason as the reader calls it; one the site did not write (or no
    longer writes) is shown as stored."""
    if label in HELD_NAMES:
        return str(HELD_NAMES[label])
    word = _carried(policy.HELD_SUSPECT_WORD, label)
    if word is not None:
        return _("suspect word “%(word)s”", word=word)
    count = _carried(policy.HELD_BY_FLAGS, label)
    if count is not None and count.isdigit():
        return _("flags ×%(count)s", count=count)
    reason = _FLAG_REASON_BY_LABEL.get(_carried(policy.HELD_BY_MODERATOR, label) or "")
    if reason is not None:
        return _("moderator flag: %(reason)s", reason=str(FLAG_REASON_NAMES[reason]).lower())
    return label


@bp.before_app_request
def refuse_writes_while_read_only():
    """Every write is refused with the same clear message while the switch is on."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in READ_ONLY_OPEN:
        return None
    # A signed-in person's state is read anyway by the permissions the write checks next.
    signed_in = current_user.is_authenticated
    read_only = (
        permissions.viewer_state(current_user).site_read_only
        if signed_in
        else policy.is_read_only()
    )
    if not read_only or is_admin(current_user):
        return None
    if (request.endpoint or "").startswith("moderation.") and permissions.can_moderate(
        current_user
    ):
        return None
    raise PermissionDenied(str(policy.READ_ONLY_MESSAGE))


@bp.app_errorhandler(permissions.WarningPending)
def show_pending_warning(error: permissions.WarningPending):
    """Posting refused until the warning is acknowledged: the warning itself, its button,
    and the text the person had written, so nothing is lost."""
    if request.blueprint == "api":
        # Scripts get the API's own JSON refusal, as for any other.
        return current_app.handle_http_exception(PermissionDenied(error.description))
    db.session.rollback()
    kept = (request.form.get("body") or "").strip() if request.method == "POST" else ""
    return render_template(
        "moderation/warning.html", warning=error.warning, kept=kept, next=_page_before()
    ), 403


def _page_before() -> str:
    """The page the refused form was on (its path on this site), else the home page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc and referrer.netloc != request.host:
        return url_for("articles.home")
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return safe_next(path, url_for("articles.home"))


def _back() -> str:
    """Where the moderator was: the queue tab the form came from."""
    return safe_next(request.form.get("next") or request.args.get("next"), url_for(".show_queue"))


def _optional_id(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else None


@bp.get("/moderation/")
@login_required
def show_queue():
    permissions.require_moderate(current_user)
    queue = queries.moderation_queue(
        current_user,
        tab=request.args.get("tab", "pending"),
        sort=request.args.get("sort", ""),
        page=page_number(request.args.get("page")),
        article_id=_optional_id("article"),
        group_id=_optional_id("group"),
    )
    return render_template(
        "moderation/queue.html",
        queue=queue,
        tabs={key: TAB_NAMES[key] for key in queries.TABS},
        empty=EMPTY_TABS[queue.tab],
        state_names=STATE_NAMES,
        reject_form=RejectForm(),
        here=request.full_path.rstrip("?"),
    )


@bp.post("/moderation/posts/<int:post_id>/approve")
@login_required
def approve_post(post_id: int):
    post = queries.get_post_to_moderate(current_user, post_id)
    try:
        services.approve_post(current_user, post)
    except services.AlreadyModerated as taken:
        db.session.rollback()
        flash(taken.message, "warning")
    else:
        db.session.commit()
        flash(_("Approved the post by %(name)s.", name=post.author.display_name), "success")
    return redirect(_back())


@bp.route("/moderation/posts/<int:post_id>/reject", methods=["GET", "POST"])
@login_required
def reject_post(post_id: int):
    post = queries.get_post_to_moderate(current_user, post_id)
    permissions.require_moderate_post(current_user, post)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject_post(current_user, post, form.reason.data)
        except services.AlreadyModerated as taken:
            db.session.rollback()
            flash(taken.message, "warning")
            return redirect(_back())
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            name = post.author.display_name
            done = _("Rejected the post by %(name)s; they are told why.", name=name)
            flash(done, "success")
            return redirect(_back())
    status = 422 if form.errors else 200
    return render_template("moderation/reject.html", form=form, post=post, next=_back()), status


@bp.route("/moderation/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = queries.get_post_to_moderate(current_user, post_id)
    permissions.require_moderate_post(current_user, post)
    form = ModeratorEditForm(data={"body": post.body_md} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.edit_and_approve_post(current_user, post, form.body.data, form.reason.data)
        except services.AlreadyModerated as taken:
            db.session.rollback()
            flash(taken.message, "warning")
            return redirect(_back())
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                _("Edited and approved; the earlier text is kept in the post’s history."), "success"
            )
            return redirect(_back())
    status = 422 if form.errors else 200
    return render_template("moderation/edit.html", form=form, post=post, next=_back()), status


@bp.post("/moderation/posts/<int:post_id>/delete")
@login_required
def delete_post(post_id: int):
    post = queries.get_post_to_moderate(current_user, post_id)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(" ".join(form.reason.errors) or str(EXPIRED), "error")
        return redirect(_back())
    try:
        services.delete_post(current_user, post, form.reason.data)
    except services.AlreadyModerated as taken:
        db.session.rollback()
        flash(taken.message, "warning")
    else:
        db.session.commit()
        flash(_("The post is deleted."), "success")
    return redirect(_back())


@bp.post("/moderation/bulk")
@login_required
def moderate_many():
    permissions.require_moderate(current_user)
    ids = [int(value) for value in request.form.getlist("post_id") if value.isdigit()]
    posts = queries.posts_to_moderate(current_user, ids)
    action = request.form.get("action", "")
    if not posts:
        flash(_("Select at least one post first."), "error")
        return redirect(_back())
    form = NoteForm()
    if not form.validate_on_submit():
        flash(str(EXPIRED), "error")
        return redirect(_back())
    try:
        result = services.moderate_many(current_user, posts, action, form.reason.data)
    except ValidationFailed as error:
        db.session.rollback()
        flash(
            _("Give a reason to reject the selected posts: their authors are told it.")
            if error.field == "reason"
            else error.message,
            "error",
        )
        return redirect(_back())
    db.session.commit()
    count = len(result.done)
    if action == "approve":
        done = ngettext("Approved %(num)d post.", "Approved %(num)d posts.", count)
    else:
        done = ngettext("Rejected %(num)d post.", "Rejected %(num)d posts.", count)
    flash(done, "success")
    for message in result.skipped:
        flash(message, "warning")
    return redirect(_back())


@bp.post("/moderation/users/<int:user_id>/reject-pending")
@login_required
def reject_pending_of(user_id: int):
    permissions.require_moderate(current_user)
    author = queries.get_user(user_id)
    form = RejectForm()
    if not form.validate_on_submit():
        flash(_("Give a reason to reject these posts: their author is told it."), "error")
        return redirect(_back())
    result = services.reject_pending_of(current_user, author, form.reason.data)
    db.session.commit()
    count = len(result.done)
    flash(
        ngettext(
            "Rejected %(num)d waiting post by %(name)s.",
            "Rejected %(num)d waiting posts by %(name)s.",
            count,
            name=author.display_name,
        ),
        "success",
    )
    for message in result.skipped:
        flash(message, "warning")
    return redirect(_back())


@bp.post("/moderation/discussions/<int:discussion_id>/lock")
@login_required
def lock_discussion(discussion_id: int):
    discussion = discussion_queries.get_discussion_for(current_user, discussion_id)
    permissions.require_moderate_discussion(current_user, discussion)
    form = NoteForm()
    if not form.validate_on_submit():
        flash(str(EXPIRED), "error")
        return redirect(_back())
    locked = request.form.get("locked", "1") == "1"
    services.lock_discussion(current_user, discussion, locked, form.reason.data)
    db.session.commit()
    done = _("The discussion is closed.") if locked else _("The discussion is open again.")
    flash(done, "success")
    return redirect(_back())


def _penalty_page(user_id: int, form, kind: str):
    person = queries.get_user(user_id)
    permissions.require_penalise(current_user, person)
    if form.validate_on_submit():
        try:
            if kind == "suspend":
                services.suspend_user(current_user, person, form.ends_at(), form.reason.data)
            else:
                services.ban_user(current_user, person, form.reason.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            if kind == "suspend":
                done = _(
                    "%(name)s is suspended; they can read but not post, vote or flag.",
                    name=person.display_name,
                )
            else:
                done = _(
                    "%(name)s is banned; they can read but not post, vote or flag.",
                    name=person.display_name,
                )
            flash(done, "success")
            return redirect(_back())
    status = 422 if form.errors else 200
    return render_template(
        "moderation/penalty.html", form=form, person=person, kind=kind, next=_back()
    ), status


@bp.route("/moderation/users/<int:user_id>/suspend", methods=["GET", "POST"])
@login_required
def suspend_user(user_id: int):
    return _penalty_page(user_id, SuspendForm(), "suspend")


@bp.route("/moderation/users/<int:user_id>/ban", methods=["GET", "POST"])
@login_required
def ban_user(user_id: int):
    return _penalty_page(user_id, BanForm(), "ban")


@bp.route("/moderation/groups/<int:group_id>/ban/<int:user_id>", methods=["GET", "POST"])
@login_required
def ban_from_group(group_id: int, user_id: int):
    group = queries.get_group(group_id)
    person = queries.get_user(user_id)
    permissions.require_ban_from_group(current_user, person, group.id)
    form = BanForm()
    if form.validate_on_submit():
        try:
            services.ban_from_group(current_user, person, group, form.reason.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is banned from %(group)s: they can read but not post in its "
                    "discussions.",
                    name=person.display_name,
                    group=group.name,
                ),
                "success",
            )
            return redirect(_back())
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "moderation/group_ban.html", form=form, person=person, group=group, next=_back()
    ), status


@bp.post("/moderation/groups/<int:group_id>/ban/<int:user_id>/lift")
@login_required
def lift_group_ban(group_id: int, user_id: int):
    group = queries.get_group(group_id)
    person = queries.get_user(user_id)
    permissions.require_lift_group_ban(current_user, person, group.id)
    back = safe_next(
        request.form.get("next"), url_for(".edit_group_policy", group_id=group.id, _anchor="bans")
    )
    form = NoteForm()
    if not form.validate_on_submit():
        flash(str(EXPIRED), "error")
        return redirect(back)
    try:
        services.lift_group_ban(current_user, person, group)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "info")
    else:
        db.session.commit()
        flash(
            _(
                "The ban is lifted: %(name)s can post in the discussions of %(group)s again.",
                name=person.display_name,
                group=group.name,
            ),
            "success",
        )
    return redirect(back)


# Warnings and featured posts ------------------------------------------------------------


@bp.route("/moderation/posts/<int:post_id>/warn", methods=["GET", "POST"])
@login_required
def warn_author(post_id: int):
    post = queries.get_post_to_moderate(current_user, post_id)
    permissions.require_warn_author(current_user, post)
    form = WarnForm()
    if form.validate_on_submit():
        try:
            services.warn_author(current_user, post, form.message.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is warned; they post again only after acknowledging it.",
                    name=post.author.display_name,
                ),
                "success",
            )
            return redirect(_back())
    status = 422 if form.errors else 200
    return render_template("moderation/warn.html", form=form, post=post, next=_back()), status


@bp.route("/moderation/warnings/<int:warning_id>", methods=["GET", "POST"])
@login_required
def show_warning(warning_id: int):
    """The warning, and for the person warned the button that acknowledges it."""
    warning = queries.get_warning_for(current_user, warning_id)
    next_page = safe_next(
        request.form.get("next") or request.args.get("next"), url_for("articles.home")
    )
    if request.method == "POST":
        permissions.require_acknowledge_warning(current_user, warning)
        form = NoteForm()
        if not form.validate_on_submit():
            flash(str(EXPIRED), "error")
            return redirect(url_for(".show_warning", warning_id=warning.id, next=next_page))
        services.acknowledge_warning(current_user, warning)
        db.session.commit()
        flash(_("Thank you. You can post again."), "success")
        return redirect(next_page)
    return render_template("moderation/warning.html", warning=warning, kept="", next=next_page)


@bp.post("/moderation/posts/<int:post_id>/feature")
@login_required
def feature_post(post_id: int):
    post = queries.get_post_to_moderate(current_user, post_id)
    featured = request.form.get("featured", "1") == "1"
    form = NoteForm()
    back = safe_next(request.form.get("next"), url_for("discussions.show_post", post_id=post.id))
    if not form.validate_on_submit():
        flash(str(EXPIRED), "error")
        return redirect(back)
    changed = services.feature_post(current_user, post, featured)
    db.session.commit()
    if featured:
        if changed:
            message = _("The post is featured at the top of its discussion.")
        else:
            message = _("The post was already featured.")
    else:
        if changed:
            message = _("The post is no longer featured.")
        else:
            message = _("The post was not featured.")
    flash(message, "success")
    return redirect(back)


# Flags ----------------------------------------------------------------------------------


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config.get("RATELIMIT_FLAGGING", "20 per hour"),
    # After login_required: the person is known, and each person has their own allowance.
    key_func=lambda: f"flagger:{current_user.id}",
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 302,
    error_message=lambda: _(
        "You have flagged many posts in a short time. Please wait and try again."
    ),
)
def flag_post(post_id: int):
    post = discussion_queries.get_post_for(current_user, post_id)
    permissions.require_flag_post(current_user, post)
    form = FlagForm()
    if form.validate_on_submit():
        try:
            services.flag_post(current_user, post, form.reason.data, form.note.data)
        except ValidationFailed as error:
            if error.field is None:
                db.session.rollback()
                flash(error.message, "info")
                return redirect(url_for("discussions.show_post", post_id=post.id))
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Thank you: the moderators will look at the post you flagged."), "success")
            return redirect(url_for("discussions.show_post", post_id=post.id))
    status = 422 if form.errors else 200
    return render_template("moderation/flag.html", form=form, post=post), status


# The log --------------------------------------------------------------------------------


def _log_filters() -> dict:
    return {
        name: (request.args.get(name) or "").strip() or None
        for name in ("action", "actor", "target")
    }


@bp.get("/moderation/log")
@login_required
def show_log():
    permissions.require_view_log(current_user)
    filters = _log_filters()
    entries = queries.audit_log(current_user, page_number(request.args.get("page")), **filters)
    return render_template(
        "moderation/log.html", entries=entries, filters=filters, actions=ACTION_NAMES
    )


@bp.get("/moderation/log.csv")
@login_required
def export_log():
    permissions.require_export_log(current_user)
    filters = _log_filters()
    header = ["id", "when_utc", "moderator", "action", "subject", "post_id", "discussion_id",
              "group_id", "person", "reason", "before", "after"]  # fmt: skip

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for entry in queries.audit_rows(current_user, **filters):
            writer.writerow(
                [
                    entry.id,
                    entry.created_at.isoformat(),
                    entry.actor.username if entry.actor else "system",
                    entry.action.value,
                    entry.subject,
                    entry.post_id or "",
                    entry.discussion_id or "",
                    entry.group_id or "",
                    entry.target_user.username if entry.target_user else "",
                    entry.reason,
                    entry.before_text or "",
                    entry.after_text or "",
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=moderation-log.csv"},
    )


# Policy ---------------------------------------------------------------------------------


@bp.route("/moderation/policy", methods=["GET", "POST"])
@login_required
def edit_policy():
    permissions.require_edit_site_policy(current_user)
    current = policy.site_policy()
    form = PolicyForm(
        data={name: getattr(current, name) for name in policy.SETTINGS}
        | {"mode": current.mode.value}
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in policy.SETTINGS}
        values["mode"] = Mode(values["mode"])
        try:
            services.update_site_policy(current_user, values)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The moderation policy is saved."), "success")
            return redirect(url_for(".edit_policy"))
    status = 422 if form.errors else 200
    return render_template("moderation/policy.html", form=form), status


@bp.route("/moderation/groups/<int:group_id>/policy", methods=["GET", "POST"])
@login_required
def edit_group_policy(group_id: int):
    group = queries.get_group(group_id)
    permissions.require_edit_group_policy(current_user, group.id)
    row = queries.group_policy_row(group.id)
    if request.method == "GET":
        own = policy.policy_values(row)
        own["mode"] = own["mode"].value if own["mode"] else INHERIT
        own["hold_links"] = INHERIT if own["hold_links"] is None else str(int(own["hold_links"]))
        form = ScopedPolicyForm(data=own)
    else:
        form = ScopedPolicyForm()
    if form.validate_on_submit():
        values = {
            "mode": Mode(form.mode.data) if form.mode.data else None,
            "new_user_posts": form.new_user_posts.data,
            "flag_threshold": form.flag_threshold.data,
            "banned_words": form.banned_words.data or None,
            "suspect_words": form.suspect_words.data or None,
            "hold_links": None if form.hold_links.data == INHERIT else form.hold_links.data == "1",
        }
        try:
            services.update_scoped_policy(current_user, values, group_id=group.id)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The moderation policy of %(group)s is saved.", group=group.name), "success")
            return redirect(url_for(".edit_group_policy", group_id=group.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "moderation/group_policy.html",
        form=form,
        group=group,
        site=policy.site_policy(),
        bans=permissions.group_bans(group.id),
    ), status
