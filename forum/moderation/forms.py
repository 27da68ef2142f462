from __future__ import annotations

from datetime import UTC, datetime, time

from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from forum.core.forms import Form
from forum.discussions.services import MAX_BODY_LENGTH
from forum.moderation.models import FLAG_REASON_LABELS, Mode
from forum.moderation.services import MAX_REASON_LENGTH, MAX_WARNING_LENGTH

_reason_length = Length(
    max=MAX_REASON_LENGTH, message=f"Keep it under {MAX_REASON_LENGTH} characters."
)


class FlagForm(Form):
    reason = RadioField(
        "Why are you flagging this post?",
        choices=[SelectChoice(reason.value, label) for reason, label in FLAG_REASON_LABELS.items()],
        validators=[InputRequired(message="Choose why you are flagging this post.")],
    )
    note = TextAreaField("Note for the moderators (needed for “Something else”)", [_reason_length])


class RejectForm(Form):
    reason = TextAreaField(
        "Reason (the author is told)",
        validators=[InputRequired(message="Give a reason: the author is told it."), _reason_length],
    )


class ModeratorEditForm(Form):
    body = TextAreaField(
        "Post text",
        validators=[
            InputRequired(message="The post needs some text."),
            Length(max=MAX_BODY_LENGTH, message="The text is too long."),
        ],
    )
    reason = TextAreaField("What you changed and why (for the log)", [_reason_length])


class NoteForm(Form):
    """Delete a post or lock a discussion, with an optional note for the log."""

    reason = TextAreaField("Reason (for the log)", [_reason_length])


class SuspendForm(Form):
    until = DateField(
        "Suspended until (end of the day, UTC)",
        validators=[InputRequired(message="Choose the last day of the suspension.")],
    )
    reason = TextAreaField(
        "Reason (the person is told)",
        validators=[InputRequired(message="Give a reason: the person is told it."), _reason_length],
    )

    def ends_at(self) -> datetime:
        """The suspension lasts to the end of the chosen day, UTC, as the label says."""
        return datetime.combine(self.until.data, time(23, 59, 59), tzinfo=UTC)


class WarnForm(Form):
    message = TextAreaField(
        "Warning (the author must read and acknowledge it before posting again)",
        validators=[
            InputRequired(message="Write the warning: the author reads it."),
            Length(
                max=MAX_WARNING_LENGTH,
                message=f"Keep the warning under {MAX_WARNING_LENGTH} characters.",
            ),
        ],
    )


class BanForm(Form):
    reason = TextAreaField(
        "Reason (the person is told)",
        validators=[InputRequired(message="Give a reason: the person is told it."), _reason_length],
    )


MODE_LABELS = {
    Mode.NEW_USERS: "Hold posts of new users until enough of theirs were approved",
    Mode.ALL: "Hold every post for review (pre-moderation)",
    Mode.NONE: "Publish at once and rely on flags (post-moderation)",
}


class PolicyForm(Form):
    mode = SelectField(
        "When posts wait for a moderator",
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
    )
    new_user_posts = IntegerField(
        "Approved posts before a person is no longer new",
        validators=[InputRequired(), NumberRange(min=0, max=1000)],
    )
    flag_threshold = IntegerField(
        "Flags from different readers that hide a post",
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
    banned_words = TextAreaField(
        "Banned words (one a line; posts with them are refused)", [Optional(), Length(max=20000)]
    )
    suspect_words = TextAreaField(
        "Suspect words (one a line; posts with them are held)", [Optional(), Length(max=20000)]
    )
    hold_links = BooleanField("Hold posts with links from new users")
    read_only = BooleanField("Read-only site: nobody but administrators posts, votes or flags")


INHERIT = ""


class ScopedPolicyForm(Form):
    """A group's overrides: every setting left at “as the site” follows the site's policy."""

    mode = SelectField(
        "When posts wait for a moderator",
        choices=[SelectChoice(INHERIT, "As the site’s policy")]
        + [SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
    )
    new_user_posts = IntegerField(
        "Approved posts before a person is no longer new (empty: as the site)",
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    flag_threshold = IntegerField(
        "Flags from different readers that hide a post (empty: as the site)",
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    banned_words = TextAreaField(
        "Banned words, one a line (empty: as the site)", [Optional(), Length(max=20000)]
    )
    suspect_words = TextAreaField(
        "Suspect words, one a line (empty: as the site)", [Optional(), Length(max=20000)]
    )
    hold_links = SelectField(
        "Posts with links from new users",
        choices=[
            SelectChoice(INHERIT, "As the site’s policy"),
            SelectChoice("1", "Held for review"),
            SelectChoice("0", "Published"),
        ],
    )
