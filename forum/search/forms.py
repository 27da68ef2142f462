from __future__ import annotations

from wtforms import DateField, SearchField, StringField
from wtforms.validators import Length, Optional

from forum.core.forms import Form


class SearchForm(Form):
    """The search page's form: a GET, so links to results can be shared (no CSRF: it changes
    nothing)."""

    class Meta:
        csrf = False

    q = SearchField("Search for", validators=[Optional(), Length(max=200)])
    article = StringField(
        "In the discussion of the article (its address name)", validators=[Optional()]
    )
    group = StringField("In the group (its address name)", validators=[Optional()])
    author = StringField("Posts by (user name)", validators=[Optional()])
    since = DateField("From", validators=[Optional()])
    until = DateField("Until (inclusive)", validators=[Optional()])
