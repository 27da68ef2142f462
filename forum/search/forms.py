from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SearchField, StringField
from wtforms.validators import Length, Optional

from forum.core.forms import Form


class SearchForm(Form):
    """The search page's form: a GET, so links to results can be shared (no CSRF: it changes
    nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search for"), validators=[Optional(), Length(max=200)])
    article = StringField(
        _l("In the discussion of the article (its address name)"), validators=[Optional()]
    )
    group = StringField(_l("In the group (its address name)"), validators=[Optional()])
    author = StringField(_l("Posts by (user name)"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until (inclusive)"), validators=[Optional()])
