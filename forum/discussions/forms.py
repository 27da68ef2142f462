from __future__ import annotations

from flask_babel import LazyString, format_number
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from forum.core.forms import Form
from forum.discussions.services import MAX_BODY_LENGTH

_body_validators = [
    InputRequired(message=_l("Write something before posting.")),
    Length(
        max=MAX_BODY_LENGTH,
        message=_l(
            "Posts are limited to %(limit)s characters; shorten it a little.",
            # Written out when the message is shown, in the reader's way of grouping digits.
            limit=LazyString(format_number, MAX_BODY_LENGTH),
        ),
    ),
]


HONEYPOT_LABEL = _l("Leave this field empty (it catches robots that post spam)")


class CommentForm(Form):
    body = TextAreaField(_l("Your comment"), validators=_body_validators)
    # Hidden from sight; people leave it empty, spam robots fill in every field.
    website = StringField(HONEYPOT_LABEL)


class ReplyForm(Form):
    body = TextAreaField(_l("Your reply"), validators=_body_validators)
    website = StringField(HONEYPOT_LABEL)


class EditPostForm(Form):
    body = TextAreaField(_l("Your post"), validators=_body_validators)
