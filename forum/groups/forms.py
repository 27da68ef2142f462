"""Forms of groups and sessions: shape only; the services check meaning."""

from __future__ import annotations

from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from forum.core.forms import Form
from forum.core.timefmt import timezone_names
from forum.groups.models import JoinPolicy, RsvpStatus, VenueType, Visibility

VISIBILITY_LABELS = {Visibility.PUBLIC: "Public", Visibility.MEMBERS: "Members only"}
JOIN_LABELS = {
    JoinPolicy.OPEN: "Open: anyone can join",
    JoinPolicy.REQUEST: "By request: organisers approve",
    JoinPolicy.INVITE: "By invitation only",
}


def _zones(field: SelectField) -> None:
    field.choices = [SelectChoice(name) for name in timezone_names()]


class GroupForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    place = StringField("Place (town or city)", validators=[Length(max=200)])
    venue_type = SelectField(
        "Where the group meets", choices=[SelectChoice(v.value, v.label) for v in VenueType]
    )
    meeting_pattern = StringField("When the group meets", validators=[Length(max=200)])
    visibility = SelectField(
        "Who can see the group",
        choices=[SelectChoice(k.value, v) for k, v in VISIBILITY_LABELS.items()],
    )
    join_policy = SelectField(
        "How people join", choices=[SelectChoice(k.value, v) for k, v in JOIN_LABELS.items()]
    )
    timezone = SelectField("Time zone", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _zones(self.timezone)


class InviteForm(Form):
    email = EmailField("Email address to invite", validators=[DataRequired(), Length(max=254)])


class CancelForm(Form):
    reason = TextAreaField("Reason (sent to the people going)", validators=[Length(max=500)])


class RsvpForm(Form):
    status = SelectField(
        "Are you coming?",
        choices=[
            SelectChoice(RsvpStatus.GOING.value, "Going"),
            SelectChoice(RsvpStatus.MAYBE.value, "Maybe"),
            SelectChoice(RsvpStatus.DECLINED.value, "Not going"),
        ],
    )


class SessionForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    topic = StringField("Topic", validators=[Length(max=200)])
    starts_on = DateField("Date", validators=[InputRequired()])
    starts_at = TimeField("Starts at", validators=[InputRequired()])
    ends_at = TimeField("Ends at", validators=[InputRequired()])
    timezone = SelectField("Time zone", validate_choice=False)
    place = StringField("Place", validators=[Length(max=200)])
    online_url = StringField("Online meeting link", validators=[Length(max=500)])
    capacity = IntegerField(
        "Seats (empty for no limit)", validators=[Optional(), NumberRange(min=1, max=10_000)]
    )
    facilitator_id = SelectField("Facilitator", validate_choice=False)
    readings = TextAreaField("Readings", validators=[Length(max=5000)])
    agenda_md = TextAreaField("Agenda (markdown)", validators=[Length(max=20_000)])
    questions_md = TextAreaField("Discussion questions (markdown)", validators=[Length(max=20_000)])
    summary_md = TextAreaField(
        "Summary, after the session (markdown)", validators=[Length(max=20_000)]
    )

    def __init__(self, members, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _zones(self.timezone)
        self.facilitator_id.choices = [SelectChoice("", "Nobody yet")] + [
            SelectChoice(str(member.id), member.display_name) for member in members
        ]


class SessionEditForm(SessionForm):
    scope = SelectField(
        "Apply the changes to",
        choices=[
            SelectChoice("one", "This session only"),
            SelectChoice(
                "season",
                "This session and every later session of the season (times, place, link, "
                "seats, facilitator, agenda; a new date moves them all)",
            ),
        ],
        default="one",
    )


class SeasonForm(SessionForm):
    """A season shares the session's fields; ``title`` is the season's name."""

    interval = SelectField(
        "How often", choices=[SelectChoice("7", "Weekly"), SelectChoice("14", "Fortnightly")]
    )
    plan = TextAreaField("Topics, one session a line", validators=[DataRequired()])


class BallotForm(Form):
    topic = StringField("Topic (ballots on the same topic are added up across groups)")
    intro = TextAreaField("Introduction (optional)", validators=[Length(max=5000)])
    closes_on = DateField("Closes on (optional)", validators=[Optional()])
    closes_at = TimeField("Closes at", validators=[Optional()])
    questions = TextAreaField(
        "Questions and their choices", validators=[DataRequired(), Length(max=20_000)]
    )
