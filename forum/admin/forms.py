"""The admin area's forms: shape only; the services check meaning."""

from __future__ import annotations

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
from forum.groups.models import JoinPolicy, Visibility
from forum.moderation.models import Mode

MODE_LABELS = {
    Mode.NEW_USERS: "Hold posts of new members until enough of theirs were approved",
    Mode.ALL: "Hold every post for review (pre-moderation)",
    Mode.NONE: "Publish at once and rely on flags (post-moderation)",
}
ROLE_LABELS = {
    Role.READER: "Reader",
    Role.MODERATOR: "Moderator (moderates every discussion)",
    Role.ADMIN: "Administrator",
}


def _days(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(min=0, max=MAX_DAYS, message=f"Use 0 to {MAX_DAYS} days."),
        ],
    )


class SettingsForm(Form):
    site_name = StringField(
        "Site name",
        validators=[
            DataRequired(message="Give the site a name."),
            Length(max=MAX_SITE_NAME, message=f"Keep it under {MAX_SITE_NAME} characters."),
        ],
    )
    site_description = TextAreaField(
        "Description (search engines and link previews show it)",
        validators=[Length(max=MAX_DESCRIPTION)],
    )
    registration = SelectField(
        "Who may register",
        choices=[SelectChoice(k.value, v) for k, v in REGISTRATION_LABELS.items()],
    )
    mode = SelectField(
        "When posts wait for a moderator",
        choices=[SelectChoice(k.value, v) for k, v in MODE_LABELS.items()],
    )
    new_user_posts = IntegerField(
        "Trust threshold: approved posts before a member is no longer new",
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )
    flag_threshold = IntegerField(
        "Flags from different readers that hide a post",
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
    hold_links = BooleanField("Hold posts with links from new members")
    auto_close_days = _days("Close an article’s discussion this many days after it is published")
    embed_sites = TextAreaField(
        "Sites that may embed the discussions", validators=[Length(max=5000)]
    )
    ip_retention_days = _days("Keep sign-in IP addresses for this many days")
    read_only = BooleanField("Read-only site: nobody but administrators posts, votes or flags")


class ActionForm(Form):
    """A button that does one thing (CSRF only)."""


class RoleForm(Form):
    role = SelectField("Role", choices=[SelectChoice(k.value, v) for k, v in ROLE_LABELS.items()])


POST_CHOICES = [
    SelectChoice("keep", "Keep the posts, signed “Deleted member”"),
    SelectChoice("remove", "Remove the text of every post"),
]


class DeleteUserForm(Form):
    posts = RadioField(
        "What happens to the posts",
        choices=POST_CHOICES,
        default="keep",
        validators=[InputRequired(message="Choose what happens to the posts.")],
    )
    confirm = BooleanField(
        "I understand the account and its personal data cannot be brought back",
        validators=[InputRequired(message="Tick the box to confirm.")],
    )


class InviteForm(Form):
    email = EmailField(
        "Email address to invite",
        validators=[
            InputRequired(message="Enter an email address."),
            Length(max=254, message="Email addresses are at most 254 characters."),
        ],
    )


class GroupForm(Form):
    name = StringField(
        "Group name", validators=[DataRequired(message="Give the group a name."), Length(max=200)]
    )
    description = TextAreaField("Description", validators=[Length(max=5000)])
    visibility = SelectField(
        "Who can see the group",
        choices=[
            SelectChoice(Visibility.PUBLIC.value, "Everyone"),
            SelectChoice(Visibility.MEMBERS.value, "Members only"),
        ],
    )
    join_policy = SelectField(
        "How people join",
        choices=[
            SelectChoice(JoinPolicy.OPEN.value, "Open: anyone can join"),
            SelectChoice(JoinPolicy.REQUEST.value, "By request: organisers approve"),
            SelectChoice(JoinPolicy.INVITE.value, "By invitation only"),
        ],
    )


class AppointForm(Form):
    email = EmailField(
        "Email address of the new organiser",
        validators=[InputRequired(message="Enter the member's email address."), Length(max=254)],
    )
