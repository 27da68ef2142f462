"""Account pages: registration, sign-in, links from emails, profiles and settings.

Views parse forms and render; the rules are in services. Each view commits once; its email
is queued in the outbox before that commit, so it exists exactly when what caused it does.
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import LazyString, ngettext, refresh
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from forum.accounts import permissions, privacy, queries, services
from forum.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    RegisterForm,
    ResendVerificationForm,
    ResetPasswordForm,
    ResetRequestForm,
    SettingsForm,
)
from forum.accounts.models import User
from forum.admin.settings import Registration, registration
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.core.i18n import current_language, language_chosen
from forum.core.mail import queue_email
from forum.core.pagination import page_number
from forum.core.urls import safe_next
from forum.discussions.queries import posts_by_author
from forum.extensions import db, limiter
from forum.groups.queries import groups_only_organised_by

bp = Blueprint("accounts", __name__)


@bp.record_once
def _keep_language_choices(state) -> None:
    language_chosen.connect(_save_language)


def _save_language(sender, user: User, language: str) -> None:
    """A member picked a language from the footer's links: it becomes their account's (the
    link's view commits)."""
    services.set_language(user, user, language)


def _rate_limited():
    """The POST of a sign-in form is limited per address, against password guessing."""
    return limiter.limit(
        lambda: current_app.config["RATELIMIT_AUTH"],
        methods=["POST"],
        error_message=lambda: _(
            "There have been too many attempts from your connection. "
            "Please wait a minute and try again."
        ),
    )


def _form_status(form) -> int:
    return 422 if request.method == "POST" and (form.errors or form.form_errors) else 200


def _next_target() -> str:
    """Where to go after signing in: a page of this site named by ``next``, or nowhere."""
    return safe_next(request.args.get("next"), default="")


def _duration(seconds: int) -> LazyString:
    """How long a link works, written when shown: in the page's language on a page, in the
    recipient's in an email."""
    if seconds % 86400 == 0:
        return LazyString(_days, seconds // 86400)
    return LazyString(_hours, max(1, round(seconds / 3600)))


def _days(days: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", days)


def _hours(hours: int) -> str:
    return ngettext("%(num)d hour", "%(num)d hours", hours)


def _queue_verification(user: User) -> None:
    queue_email(
        user.email,
        "accounts/verify_email",
        user_id=user.id,
        user=user,
        path=url_for("accounts.verify_email", token=services.verification_token(user)),
        valid_for=_duration(current_app.config["VERIFY_TOKEN_MAX_AGE"]),
    )


def _bad_link(error: services.LinkRefused, purpose: str):
    return render_template("accounts/bad_link.html", error=error, purpose=purpose), error.code


# Registration and sign-in ---------------------------------------------------------------


def _registration_refused(message: str):
    return render_template("accounts/registration_closed.html", message=message), 403


@bp.route("/auth/register", methods=["GET", "POST"])
@_rate_limited()
def register():
    form = RegisterForm()
    target = _next_target()
    invitation = request.args.get("invitation") or None
    invited_email = None
    if invitation:
        try:
            invited_email = services.invitation_email(invitation)
        except services.LinkRefused as error:
            return _bad_link(error, "invitation")
    policy = registration()
    if policy is Registration.CLOSED:
        return _registration_refused(str(services.REGISTRATION_CLOSED))
    if policy is Registration.INVITATION and invited_email is None:
        return _registration_refused(str(services.BY_INVITATION_ONLY))
    if request.method == "GET" and invited_email:
        form.email.data = invited_email
    if form.validate_on_submit():
        try:
            user = services.register_user(
                form.email.data,
                form.display_name.data,
                form.password.data,
                invitation,
                language=current_language(),
            )
            services.note_address(user, get_remote_address())
        except services.RegistrationClosed as error:
            db.session.rollback()
            return _registration_refused(error.description)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            if not user.is_verified:
                _queue_verification(user)
            db.session.commit()
            login_user(user)
            if user.is_verified:
                flash(
                    _("Welcome, %(name)s. You can take part now.", name=user.display_name),
                    "success",
                )
            else:
                flash(
                    _(
                        "Welcome, %(name)s. We have sent a link to %(email)s: follow it to "
                        "confirm your address. Until then you can read but not post.",
                        name=user.display_name,
                        email=user.email,
                    ),
                    "success",
                )
            return redirect(target or url_for("articles.home"))
    return render_template(
        "accounts/register.html", form=form, next=target, invitation=invitation
    ), _form_status(form)


@bp.route("/auth/login", methods=["GET", "POST"])
@_rate_limited()
def login():
    form = LoginForm()
    target = _next_target()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            services.note_address(user, get_remote_address())
            db.session.commit()
            login_user(user, remember=form.remember.data)
            # From here on the account's own language, if it saved one, is the page's.
            refresh()
            if user.is_verified:
                flash(_("You are logged in as %(name)s.", name=user.display_name), "success")
            else:
                flash(
                    _(
                        "You are logged in. Follow the link we sent to %(email)s to confirm "
                        "your address before posting.",
                        email=user.email,
                    ),
                    "warning",
                )
            return redirect(target or url_for("articles.home"))
    return render_template("accounts/login.html", form=form, next=target), _form_status(form)


@bp.post("/auth/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "success")
    return redirect(url_for("articles.home"))


@bp.get("/auth/verify/<token>")
def verify_email(token: str):
    try:
        user = services.verify_email(token)
    except services.LinkRefused as error:
        return _bad_link(error, "verify")
    db.session.commit()
    flash(
        _("Thank you: %(email)s is confirmed. You can take part now.", email=user.email),
        "success",
    )
    return redirect(url_for("articles.home"))


@bp.post("/auth/verify/resend")
@login_required
@_rate_limited()
def resend_verification():
    form = ResendVerificationForm()
    target = safe_next(form.next.data, default=url_for("accounts.edit_settings"))
    if not permissions.can_resend_verification(current_user):
        flash(_("Your email address is already confirmed."), "info")
        return redirect(target)
    _queue_verification(current_user)
    db.session.commit()
    flash(
        _("We have sent a new confirmation link to %(email)s.", email=current_user.email),
        "success",
    )
    return redirect(target)


# Forgotten passwords --------------------------------------------------------------------


@bp.route("/auth/reset", methods=["GET", "POST"])
@_rate_limited()
def request_password_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data)
        valid_for = _duration(current_app.config["RESET_TOKEN_MAX_AGE"])
        user = services.find_account_for_reset(email)
        # The same page whether or not the address has an account, so the form cannot be used
        # to find out who is registered.
        if user is not None:
            queue_email(
                user.email,
                "accounts/reset_password",
                user_id=user.id,
                user=user,
                path=url_for("accounts.reset_password", token=services.reset_token(user)),
                valid_for=valid_for,
            )
            db.session.commit()
        return render_template(
            "accounts/reset_sent.html",
            email=email,
            valid_for=valid_for,
        )
    return render_template("accounts/reset_request.html", form=form), _form_status(form)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except services.LinkRefused as error:
        return _bad_link(error, "reset")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            logout_user()
            flash(
                _(
                    "Your password is changed and every session of the account has ended. "
                    "Log in with the new password."
                ),
                "success",
            )
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form), _form_status(form)


# Profiles and settings ------------------------------------------------------------------


@bp.get("/users/<username>")
def show_profile(username: str):
    profile = queries.get_profile(username)
    posts = posts_by_author(current_user, profile, page_number(request.args.get("page")))
    return render_template("accounts/profile.html", profile=profile, posts=posts)


def _settings_page(user: User, endpoint_args: dict):
    permissions.require_edit_profile(current_user, user)
    form = SettingsForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_settings(
                current_user,
                user,
                display_name=form.display_name.data,
                bio=form.bio.data,
                timezone=form.timezone.data,
                digest_frequency=form.digest_frequency.data,
                language=form.language.data,
            )
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            # Someone who just chose French reads that it is saved in French.
            refresh()
            flash(_("The settings are saved."), "success")
            return redirect(url_for(request.endpoint, **endpoint_args))
    return (
        render_template("accounts/settings.html", form=form, account=user),
        _form_status(form),
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def edit_settings():
    return _settings_page(current_user._get_current_object(), {})


@bp.route("/users/<username>/settings", methods=["GET", "POST"])
@login_required
def edit_user_settings(username: str):
    """An administrator's way to another member's settings (and the owner's, by name)."""
    return _settings_page(queries.get_profile(username), {"username": username})


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(user, user, form.current_password.data, form.new_password.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            # The old session version is gone with the old password; this browser carries on
            # under the new one, remembered if it was remembered before.
            cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=cookie in request.cookies)
            flash(
                _("Your password is changed. Every other session of your account has ended."),
                "success",
            )
            return redirect(url_for("accounts.edit_settings"))
    return render_template("accounts/change_password.html", form=form), _form_status(form)


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
def change_email():
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            token = services.request_email_change(
                user, user, form.new_email.data, form.current_password.data
            )
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            new_email = services.normalise_email(form.new_email.data)
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes when you follow it.",
                    email=new_email,
                ),
                "success",
            )
            queue_email(
                new_email,
                "accounts/confirm_email_change",
                user_id=user.id,
                user=user,
                new_email=new_email,
                path=url_for("accounts.confirm_email_change", token=token),
                valid_for=_duration(current_app.config["VERIFY_TOKEN_MAX_AGE"]),
            )
            db.session.commit()
            return redirect(url_for("accounts.edit_settings"))
    return render_template("accounts/change_email.html", form=form), _form_status(form)


@bp.get("/settings/email/<token>")
def confirm_email_change(token: str):
    try:
        user, old_email = services.confirm_email_change(token)
    except services.LinkRefused as error:
        return _bad_link(error, "email")
    # The old address hears of it, in case the change was not its owner's doing.
    queue_email(
        old_email, "accounts/email_changed", user_id=user.id, user=user, old_email=old_email
    )
    db.session.commit()
    flash(_("Your email address is now %(email)s.", email=user.email), "success")
    if permissions.is_self(current_user, user):
        return redirect(url_for("accounts.edit_settings"))
    return redirect(url_for("articles.home"))


# Privacy ----------------------------------------------------------------------------------


def _privacy_page(user: User, form: DeleteAccountForm, status: int = 200):
    return render_template(
        "accounts/privacy.html",
        form=form,
        # Named before the member types their password: they cannot leave these groups yet.
        sole_organiser_of=groups_only_organised_by(user),
    ), status


@bp.get("/settings/privacy")
@login_required
def privacy_settings():
    return _privacy_page(current_user._get_current_object(), DeleteAccountForm())


@bp.get("/settings/privacy/my-data.json")
@login_required
def export_data():
    user = current_user._get_current_object()
    data = privacy.export_data(user, user)
    stamp = utc_now().strftime("%Y-%m-%d")
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{user.username}-{stamp}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/settings/privacy/delete")
@login_required
def delete_account():
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not services.password_matches(user, form.password.data):
            form.password.errors.append(_("That is not your password."))
        else:
            keep = form.posts.data == "keep"
            try:
                report = privacy.delete_account(user, user, keep_posts=keep)
            except ValidationFailed as error:
                show_refusal(form, error)
            else:
                db.session.commit()
                logout_user()
                if keep:
                    message = ngettext(
                        "Your account is deleted: your %(num)d post stays, signed “%(name)s”. "
                        "Goodbye, and thank you.",
                        "Your account is deleted: your %(num)d posts stay, signed “%(name)s”. "
                        "Goodbye, and thank you.",
                        report.posts_kept,
                        name=privacy.DELETED_NAME,
                    )
                else:
                    message = ngettext(
                        "Your account is deleted: the text of your %(num)d post is removed. "
                        "Goodbye, and thank you.",
                        "Your account is deleted: the text of your %(num)d posts is removed. "
                        "Goodbye, and thank you.",
                        report.posts_removed,
                    )
                flash(message, "success")
                return redirect(url_for("articles.home"))
    return _privacy_page(user, form, 422)
