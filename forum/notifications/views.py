"""Notification pages, email preferences, unsubscribe links, and the admins' mail status."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.core.mail import OutboxState
from forum.core.pagination import page_number
from forum.core.urls import safe_next
from forum.extensions import csrf, db
from forum.notifications import digests, permissions, queries, services
from forum.notifications.forms import ActionForm, TestEmailForm, preferences_form
from forum.notifications.models import Kind

bp = Blueprint("notifications", __name__)

# A message opened as its recipient sees it: the email's own inline styles, nothing else.
EMAIL_PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


# The outbox's states as the mail pages name them; the rows keep the stored values.
STATE_LABELS = {
    OutboxState.QUEUED: _l("Queued"),
    OutboxState.SENDING: _l("Sending"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Failed"),
}


# The on-site list -------------------------------------------------------------------------


@bp.get("/notifications/")
@login_required
def list_notifications():
    page = queries.notifications_for(current_user, page_number(request.args.get("page")))
    return render_template(
        "notifications/list.html",
        page=page,
        form=ActionForm(),
        labels=services.KINDS,
        Kind=Kind,
        title_of=queries.discussion_title,
        path_of=queries.notification_path,
    )


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    only = request.form.get("notification_id", type=int)
    services.mark_read(current_user, [only] if only else None)
    db.session.commit()
    if only:
        target = safe_next(request.form.get("go"), default="")
        if target.startswith(("/posts/", "/groups/", "/moderation/")):
            return redirect(target)
    else:
        flash(_("All your notifications are marked read."), "success")
    return redirect(url_for("notifications.list_notifications"))


# Preferences ------------------------------------------------------------------------------


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def edit_preferences():
    user = current_user._get_current_object()
    choices = services.email_choices(user)
    form = preferences_form(
        choices, services.digest_weekday(user), services.queue_alert_threshold(user)
    )
    if form.validate_on_submit():
        try:
            for kind in choices:
                services.set_email_preference(user, user, kind, form[f"email_{kind}"].data)
            services.set_digest_weekday(user, user, form.digest_weekday.data)
            if "queue_threshold" in form:
                services.set_queue_alert(user, user, form.queue_threshold.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Your email preferences are saved."), "success")
            return redirect(url_for("notifications.edit_preferences"))
    status = 422 if form.errors else 200
    return (
        render_template(
            "notifications/preferences.html",
            form=form,
            kinds=choices,
            frequency=user.digest_frequency.value,
        ),
        status,
    )


@bp.get("/settings/digest-preview")
@login_required
def preview_digest():
    content = digests.preview(current_user)
    return render_template("notifications/digest_preview.html", content=content)


# Unsubscribe: a GET shows a button, a POST (the button, or a mail client's one-click
# request under RFC 8058) unsubscribes. ------------------------------------------------------


@bp.route("/digests/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058's one-click POST comes from a mail provider; the signed token is the proof
def unsubscribe(token: str):
    try:
        user, what = services.read_unsubscribe_token(token)
    except services.UnsubscribeRefused as error:
        return render_template("notifications/unsubscribe.html", error=str(error)), 404
    described = services.describe_subscription(what)
    if request.method == "POST":
        services.unsubscribe(token)
        db.session.commit()
        return render_template(
            "notifications/unsubscribe.html", done=True, described=described, user=user
        )
    return render_template(
        "notifications/unsubscribe.html", done=False, described=described, user=user, token=token
    )


# The mail status page (administrators) ----------------------------------------------------


@bp.get("/admin/mail")
@login_required
def mail_status():
    permissions.require_view_mail_status(current_user)
    state = request.args.get("state") or None
    return render_template(
        "notifications/mail_status.html",
        counts=queries.outbox_counts(),
        page=queries.outbox_messages(page_number(request.args.get("page")), state),
        state=state,
        states=[s.value for s in OutboxState],
        form=TestEmailForm(),
        action=ActionForm(),
        state_labels=STATE_LABELS,
    )


@bp.post("/admin/mail/test")
@login_required
def send_test_email():
    permissions.require_view_mail_status(current_user)
    form = TestEmailForm()
    if form.validate_on_submit():
        services.queue_test_email(current_user, form.to.data)
        db.session.commit()
        flash(
            _("A test email to %(email)s is queued; its state shows below.", email=form.to.data),
            "success",
        )
        return redirect(url_for("notifications.mail_status"))
    return (
        render_template(
            "notifications/mail_status.html",
            counts=queries.outbox_counts(),
            page=queries.outbox_messages(1),
            state=None,
            states=[s.value for s in OutboxState],
            form=form,
            action=ActionForm(),
            state_labels=STATE_LABELS,
        ),
        422,
    )


@bp.get("/admin/mail/<int:message_id>")
@login_required
def show_mail(message_id: int):
    permissions.require_view_mail_status(current_user)
    return render_template(
        "notifications/mail_message.html",
        message=queries.get_outbox_message(message_id),
        action=ActionForm(),
        state_labels=STATE_LABELS,
    )


@bp.get("/admin/mail/<int:message_id>/html")
@login_required
def show_mail_html(message_id: int):
    """The HTML part alone, framed by the message page, styled only by its own inline CSS."""
    permissions.require_view_mail_status(current_user)
    message = queries.get_outbox_message(message_id)
    return (
        message.html_body,
        200,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": EMAIL_PREVIEW_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


@bp.post("/admin/mail/<int:message_id>/retry")
@login_required
def retry_mail(message_id: int):
    permissions.require_view_mail_status(current_user)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    message = queries.get_outbox_message(message_id)
    services.retry_message(current_user, message)
    db.session.commit()
    flash(_("The message is queued again."), "success")
    return redirect(url_for("notifications.show_mail", message_id=message_id))
