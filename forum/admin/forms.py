"""The admin area's forms: shape only; the services check meaning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from forum.accounts.models import Role
from forum.admin.settings import MAX_DAYS, MAX_DESCRIPTION, MAX_SITE_NAME, REGISTRATION_LABELS
from forum.core.forms import Form
from forum.groups.forms import JOIN_LABELS, VISIBILITY_LABELS
from forum.moderation.forms import MODE_LABELS

# How a role is named in the admin's lists and messages (the stored value stays English).
ROLE_NAMES = {
    Role.READER: _l("reader"),
    Role.MODERATOR: _l("moderator"),
    Role.ADMIN: _l("administrator"),
}
ROLE_LABELS = {
    Role.READER: _l("Reader"),
    Role.MODERATOR: _l("Moderator (moderates every discussion)"),
    Role.ADMIN: _l("Administrator"),
}


def _days(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message=_l("Enter a number of days.")),
            NumberRange(min=0, max=MAX_DAYS, message=_l("Use %(min)d to %(max)d days.")),
        ],
    )


class SettingsForm(Form):
    site_name = StringField(
        _l("Site name"),
        validators=[
            DataRequired(message=_l("Give the site a name.")),
            Length(max=MAX_SITE_NAME, message=_l("Keep it under %(max)d characters.")),
        ],
    )
    site_description = TextAreaField(
        _l("Description (search engines and link previews show it)"),
        validators=[Length(max=MAX_DESCRIPTION)],
    )
    registration = SelectField(
        _l("Who may register"),
        choices=[SelectChoice(k.value, v) for k, v in REGISTRATION_LABELS.items()],
    )
    mode = SelectField(
        _l("When posts wait for a moderator"),
        choices=[SelectChoice(k.value, v) for k, v in MODE_LABELS.items()],
    )
    new_user_posts = IntegerField(
        _l("Trust threshold: approved posts before a member is no longer new"),
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )
    flag_threshold = IntegerField(
        _l("Flags from different readers that hide a post"),
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
    hold_links = BooleanField(_l("Hold posts with links from new members"))
    auto_close_days = _days(
        _l("Close an article’s discussion this many days after it is published")
    )
    embed_sites = TextAreaField(
        _l("Sites that may embed the discussions"), validators=[Length(max=5000)]
    )
    ip_retention_days = _days(_l("Keep sign-in IP addresses for this many days"))
    read_only = BooleanField(_l("Read-only site: nobody but administrators posts, votes or flags"))


class ActionForm(Form):
    """A button that does one thing (CSRF only)."""


class RoleForm(Form):
    role = SelectField(
        _l("Role"), choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()]
    )


POST_CHOICES = [
    SelectChoice("keep", _l("Keep the posts, signed “Deleted member”")),
    SelectChoice("remove", _l("Remove the text of every post")),
]


class DeleteUserForm(Form):
    posts = RadioField(
        _l("What happens to the posts"),
        choices=POST_CHOICES,
        default="keep",
        validators=[InputRequired(message=_l("Choose what happens to the posts."))],
    )
    confirm = BooleanField(
        _l("I understand the account and its personal data cannot be brought back"),
        validators=[InputRequired(message=_l("Tick the box to confirm."))],
    )


class InviteForm(Form):
    email = EmailField(
        _l("Email address to invite"),
        validators=[
            InputRequired(message=_l("Enter an email address.")),
            Length(max=254, message=_l("Email addresses are at most 254 characters.")),
        ],
    )


class GroupForm(Form):
    name = StringField(
        _l("Group name"),
        validators=[DataRequired(message=_l("Give the group a name.")), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    # The groups' own names for these, so the admin area and the group's settings agree.
    visibility = SelectField(
        _l("Who can see the group"),
        choices=[SelectChoice(k.value, v) for k, v in VISIBILITY_LABELS.items()],
    )
    join_policy = SelectField(
        _l("How people join"),
        choices=[SelectChoice(k.value, v) for k, v in JOIN_LABELS.items()],
    )


class AppointForm(Form):
    email = EmailField(
        _l("Email address of the new organiser"),
        validators=[
            InputRequired(message=_l("Enter the member's email address.")),
            Length(max=254),
        ],
    )
