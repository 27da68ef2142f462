"""The admin area at /admin: thin views over the admin services (admins only)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from forum.accounts import services as accounts
from forum.accounts.queries import find_user_by_email
from forum.admin import permissions, queries, services, settings
from forum.admin.forms import (
    ROLE_NAMES,
    ActionForm,
    AppointForm,
    DeleteUserForm,
    GroupForm,
    InviteForm,
    RoleForm,
    SettingsForm,
)
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.core.mail import queue_email
from forum.core.pagination import page_number
from forum.extensions import db
from forum.groups.services import GroupInput
from forum.moderation import services as moderation
from forum.moderation.forms import BanForm, SuspendForm
from forum.moderation.queries import queue_counts
from forum.notifications.queries import outbox_counts
from forum.ops.status import last_heartbeat

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _admins_only():
    permissions.require_administer(current_user)


@bp.app_context_processor
def _site_texts() -> dict:
    """Every page shows the stored name and description."""
    return {
        "site_name": settings.get_setting("site_name"),
        "site_description": settings.get_setting("site_description"),
    }


@bp.context_processor
def _role_names() -> dict:
    """The admin pages name a role in the reader's language."""
    return {"role_name": ROLE_NAMES.get}


def _status(form) -> int:
    return 422 if request.method == "POST" and (form.errors or form.form_errors) else 200


def _refused(error: ValidationFailed, back: str):
    db.session.rollback()
    flash(error.message, "error")
    return redirect(back)


# Dashboard ----------------------------------------------------------------------------------


@bp.get("/")
def show_dashboard():
    now = utc_now()
    days = queries.daily_counts(now)
    return render_template(
        "admin/dashboard.html",
        queue=queue_counts(current_user, now),
        mail=outbox_counts(),
        days=days,
        most=max([1, *(d.posts for d in days), *(d.members for d in days)]),
        worker=last_heartbeat(current_app),
        now=now,
    )


# Settings -----------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def edit_settings():
    form = SettingsForm()
    if request.method == "GET":
        for name in (*settings.STORED, *settings.POLICY):
            value = settings.get_setting(name)
            getattr(form, name).data = "\n".join(value) if name == "embed_sites" else value
    if form.validate_on_submit():
        try:
            changes = services.save_settings(
                current_user,
                services.SiteValues(
                    **{
                        name: getattr(form, name).data
                        for name in services.SiteValues.__annotations__
                    }
                ),
            )
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The settings are saved (%(num)d setting changed).",
                    "The settings are saved (%(num)d settings changed).",
                    len(changes),
                )
                if changes
                else _("The settings are saved."),
                "success",
            )
            return redirect(url_for("admin.edit_settings"))
    return render_template("admin/settings.html", form=form), _status(form)


# Users --------------------------------------------------------------------------------------


@bp.get("/users")
def list_users():
    search = request.args.get("q", "")
    users = queries.user_page(search, page_number(request.args.get("page")))
    return render_template("admin/users.html", users=users, search=search, invite=InviteForm())


@bp.get("/users/<int:user_id>")
def show_user(user_id: int):
    return _user_page(queries.get_user(user_id))


def _back(user_id: int) -> str:
    return url_for("admin.show_user", user_id=user_id)


@bp.post("/users/<int:user_id>/verify")
def verify_user(user_id: int):
    user = queries.get_user(user_id)
    if ActionForm().validate_on_submit():
        services.verify_user(current_user, user)
        db.session.commit()
        flash(_("The email address of %(name)s is verified.", name=user.display_name), "success")
    return redirect(_back(user_id))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = queries.get_user(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(current_user, user, form.role.data)
        except ValidationFailed as error:
            return _refused(error, _back(user_id))
        db.session.commit()
        flash(
            _("%(name)s is now %(role)s.", name=user.display_name, role=ROLE_NAMES[user.role]),
            "success",
        )
    return redirect(_back(user_id))


def _user_page(user, status: int = 200, **forms):
    """The account's page; after a refused form, that form with its errors (422)."""
    pages = {
        "role_form": RoleForm(role=user.role.value),
        "suspend_form": SuspendForm(prefix="suspend"),
        "ban_form": BanForm(prefix="ban"),
        "delete_form": DeleteUserForm(),
        **forms,
    }
    return render_template("admin/user.html", user=user, **pages), status


@bp.post("/users/<int:user_id>/suspend")
def suspend_user(user_id: int):
    user = queries.get_user(user_id)
    form = SuspendForm(prefix="suspend")
    if form.validate_on_submit():
        try:
            moderation.suspend_user(current_user, user, form.ends_at(), form.reason.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is suspended.", name=user.display_name), "success")
            return redirect(_back(user_id))
    return _user_page(user, 422, suspend_form=form)


@bp.post("/users/<int:user_id>/ban")
def ban_user(user_id: int):
    user = queries.get_user(user_id)
    form = BanForm(prefix="ban")
    if form.validate_on_submit():
        try:
            moderation.ban_user(current_user, user, form.reason.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is banned.", name=user.display_name), "success")
            return redirect(_back(user_id))
    return _user_page(user, 422, ban_form=form)


@bp.post("/users/<int:user_id>/delete")
def delete_user(user_id: int):
    user = queries.get_user(user_id)
    form = DeleteUserForm()
    if form.validate_on_submit():
        try:
            report = services.delete_user(current_user, user, keep_posts=form.posts.data == "keep")
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "The account is deleted: posts kept: %(kept)d, removed: %(removed)d; "
                    "emails cancelled: %(emails)d.",
                    kept=report.posts_kept,
                    removed=report.posts_removed,
                    emails=report.emails_cancelled,
                ),
                "success",
            )
            return redirect(url_for("admin.list_users"))
    return _user_page(user, 422, delete_form=form)


@bp.post("/users/invite")
def invite_user():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            token = accounts.invitation_token(current_user, form.email.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            email = accounts.normalise_email(form.email.data)
            queue_email(
                email,
                "accounts/invitation",
                inviter=current_user,
                path=url_for("accounts.register", invitation=token),
            )
            services.log_invitation(current_user, email)
            db.session.commit()
            flash(_("We have sent an invitation to %(email)s.", email=email), "success")
            return redirect(url_for("admin.list_users"))
    users = queries.user_page("", 1)
    return render_template("admin/users.html", users=users, search="", invite=form), 422


# Articles -----------------------------------------------------------------------------------


@bp.get("/articles")
def list_articles():
    search = request.args.get("q", "")
    rows = queries.article_page(search, page_number(request.args.get("page")))
    return render_template("admin/articles.html", rows=rows, search=search, action=ActionForm())


@bp.post("/articles/<int:article_id>/<any(hide, show):change>")
def set_article_visibility(article_id: int, change: str):
    article = queries.get_article(article_id)
    if ActionForm().validate_on_submit():
        services.set_article_hidden(current_user, article, change == "hide")
        db.session.commit()
        flash(
            _("“%(title)s” is hidden from everyone but admins.", title=article.title)
            if article.is_hidden
            else _("“%(title)s” is shown again.", title=article.title),
            "success",
        )
    return redirect(url_for("admin.list_articles"))


@bp.post("/discussions/<int:discussion_id>/<any(close, reopen):change>")
def set_discussion_state(discussion_id: int, change: str):
    discussion = queries.get_discussion(discussion_id)
    if ActionForm().validate_on_submit():
        services.set_discussion_closed(current_user, discussion, change == "close")
        db.session.commit()
        flash(
            _("The discussion is closed.") if discussion.is_locked else _("The discussion is open.")
        )
    return redirect(url_for("admin.list_articles"))


# Groups -------------------------------------------------------------------------------------


def _groups_page(form: GroupForm, status: int = 200):
    groups = queries.group_page(page_number(request.args.get("page")))
    return (
        render_template(
            "admin/groups.html",
            groups=groups,
            form=form,
            organisers={group.id: queries.organisers_of(group) for group in groups.items},
            archived=queries.archived_group_ids([group.id for group in groups.items]),
            appoint=AppointForm(),
            action=ActionForm(),
        ),
        status,
    )


@bp.route("/groups", methods=["GET", "POST"])
def list_groups():
    form = GroupForm()
    if form.validate_on_submit():
        values = GroupInput(
            name=form.name.data,
            description=form.description.data,
            visibility=form.visibility.data,
            join_policy=form.join_policy.data,
        )
        try:
            group = services.create_group(current_user, values)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "The group %(name)s is created; you are its first organiser.",
                    name=group.name,
                ),
                "success",
            )
            return redirect(url_for("admin.list_groups"))
    return _groups_page(form, _status(form))


@bp.post("/groups/<int:group_id>/organisers")
def appoint_organiser(group_id: int):
    group = queries.get_group(group_id)
    form = AppointForm()
    back = url_for("admin.list_groups")
    if not form.validate_on_submit():
        flash(_("Enter the email address of the member to appoint."), "error")
        return redirect(back)
    user = find_user_by_email(form.email.data)
    if user is None or user.is_deleted:
        flash(
            _("There is no account with the email address %(email)s.", email=form.email.data),
            "error",
        )
        return redirect(back)
    try:
        services.appoint_organiser(current_user, group, user)
    except ValidationFailed as error:
        return _refused(error, back)
    db.session.commit()
    flash(
        _("%(name)s is an organiser of %(group)s.", name=user.display_name, group=group.name),
        "success",
    )
    return redirect(back)


@bp.post("/groups/<int:group_id>/archive")
def archive_group(group_id: int):
    group = queries.get_group(group_id)
    if ActionForm().validate_on_submit():
        services.archive_group(current_user, group)
        db.session.commit()
        flash(
            _(
                "%(name)s is archived: its discussions are closed, nobody new joins, no "
                "session is scheduled and RSVPs are closed.",
                name=group.name,
            )
        )
    return redirect(url_for("admin.list_groups"))
