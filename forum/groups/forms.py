"""Forms of groups and sessions: shape only; the services check meaning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
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
from forum.groups.models import JoinPolicy, MemberRole, RsvpStatus, VenueType, Visibility

# What the stored values are called on the pages, in the reader's language (the database
# keeps the values; the models' English labels serve the emails and the command line).
VISIBILITY_LABELS = {Visibility.PUBLIC: _l("Public"), Visibility.MEMBERS: _l("Members only")}
JOIN_LABELS = {
    JoinPolicy.OPEN: _l("Open: anyone can join"),
    JoinPolicy.REQUEST: _l("By request: organisers approve"),
    JoinPolicy.INVITE: _l("By invitation only"),
}
VENUE_LABELS = {
    VenueType.LIBRARY: _l("Library"),
    VenueType.RETIREMENT: _l("Retirement community"),
    VenueType.CLASSROOM: _l("Classroom"),
    VenueType.FAITH: _l("Faith-based"),
    VenueType.ONLINE: _l("Online"),
    VenueType.OTHER: _l("Other"),
}
ROLE_LABELS = {
    MemberRole.ORGANISER: _l("organiser"),
    MemberRole.MODERATOR: _l("moderator"),
    MemberRole.MEMBER: _l("member"),
}
RSVP_LABELS = {
    RsvpStatus.GOING: _l("going"),
    RsvpStatus.MAYBE: _l("maybe"),
    RsvpStatus.DECLINED: _l("not going"),
    RsvpStatus.WAITLISTED: _l("on the waitlist"),
}


def _zones(field: SelectField) -> None:
    field.choices = [SelectChoice(name) for name in timezone_names()]


class GroupForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    place = StringField(_l("Place (town or city)"), validators=[Length(max=200)])
    venue_type = SelectField(
        _l("Where the group meets"),
        choices=[SelectChoice(k.value, v) for k, v in VENUE_LABELS.items()],
    )
    meeting_pattern = StringField(_l("When the group meets"), validators=[Length(max=200)])
    visibility = SelectField(
        _l("Who can see the group"),
        choices=[SelectChoice(k.value, v) for k, v in VISIBILITY_LABELS.items()],
    )
    join_policy = SelectField(
        _l("How people join"), choices=[SelectChoice(k.value, v) for k, v in JOIN_LABELS.items()]
    )
    timezone = SelectField(_l("Time zone"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _zones(self.timezone)


class InviteForm(Form):
    email = EmailField(_l("Email address to invite"), validators=[DataRequired(), Length(max=254)])


class CancelForm(Form):
    reason = TextAreaField(_l("Reason (sent to the people going)"), validators=[Length(max=500)])


class RsvpForm(Form):
    status = SelectField(
        _l("Are you coming?"),
        choices=[
            SelectChoice(RsvpStatus.GOING.value, _l("Going")),
            SelectChoice(RsvpStatus.MAYBE.value, _l("Maybe")),
            SelectChoice(RsvpStatus.DECLINED.value, _l("Not going")),
        ],
    )


class SessionForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    topic = StringField(_l("Topic"), validators=[Length(max=200)])
    starts_on = DateField(_l("Date"), validators=[InputRequired()])
    starts_at = TimeField(_l("Starts at"), validators=[InputRequired()])
    ends_at = TimeField(_l("Ends at"), validators=[InputRequired()])
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    place = StringField(_l("Place"), validators=[Length(max=200)])
    online_url = StringField(_l("Online meeting link"), validators=[Length(max=500)])
    capacity = IntegerField(
        _l("Seats (empty for no limit)"), validators=[Optional(), NumberRange(min=1, max=10_000)]
    )
    facilitator_id = SelectField(_l("Facilitator"), validate_choice=False)
    readings = TextAreaField(_l("Readings"), validators=[Length(max=5000)])
    agenda_md = TextAreaField(_l("Agenda (markdown)"), validators=[Length(max=20_000)])
    questions_md = TextAreaField(
        _l("Discussion questions (markdown)"), validators=[Length(max=20_000)]
    )
    summary_md = TextAreaField(
        _l("Summary, after the session (markdown)"), validators=[Length(max=20_000)]
    )

    def __init__(self, members, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _zones(self.timezone)
        self.facilitator_id.choices = [SelectChoice("", _l("Nobody yet"))] + [
            SelectChoice(str(member.id), member.display_name) for member in members
        ]


class SessionEditForm(SessionForm):
    scope = SelectField(
        _l("Apply the changes to"),
        choices=[
            SelectChoice("one", _l("This session only")),
            SelectChoice(
                "season",
                _l(
                    "This session and every later session of the season (times, place, "
                    "link, seats, facilitator, agenda; a new date moves them all)"
                ),
            ),
        ],
        default="one",
    )


class SeasonForm(SessionForm):
    """A season shares the session's fields; ``title`` is the season's name."""

    interval = SelectField(
        _l("How often"),
        choices=[
            SelectChoice("7", _lp("how often", "Weekly")),
            SelectChoice("14", _l("Fortnightly")),
        ],
    )
    plan = TextAreaField(_l("Topics, one session a line"), validators=[DataRequired()])


class BallotForm(Form):
    topic = StringField(_l("Topic (ballots on the same topic are added up across groups)"))
    intro = TextAreaField(_l("Introduction (optional)"), validators=[Length(max=5000)])
    closes_on = DateField(_l("Closes on (optional)"), validators=[Optional()])
    closes_at = TimeField(_l("Closes at"), validators=[Optional()])
    questions = TextAreaField(
        _l("Questions and their choices"), validators=[DataRequired(), Length(max=20_000)]
    )
