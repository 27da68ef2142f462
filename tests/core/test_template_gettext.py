"""Templates' gettext and ngettext (forum.core.i18n): the reader's language, a change of
language within the request (an email in its recipient's), and Jinja's newstyle rules:
every string is a format string, and the values filled in are escaped."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = (
    "{{ _('Groups') }}|{{ _('Log in') }}|{{ _('100%% of %(who)s', who=who) }}|"
    "{{ ngettext('%(count)s ballot', '%(count)s ballots', n, count=n) }}|"
    "{% trans count=n %}{{ count }} ballot{% pluralize %}{{ count }} ballots{% endtrans %}"
)


def render(n: int = 2) -> str:
    return render_template_string(TEMPLATE, who="<b>you</b>", n=n)


def test_strings_follow_the_request_and_a_forced_language_within_it(app):
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "fr"}):
        app.preprocess_request()
        assert render() == (
            "Groupes|Se connecter|100% of &lt;b&gt;you&lt;/b&gt;|2 scrutins|2 scrutins"
        )
        with force_locale("en"):
            assert render(1).startswith("Groups|Log in|100% of &lt;b&gt;you&lt;/b&gt;|1 ballot|")
        # Back in the reader's language once the email is written.
        assert render().startswith("Groupes|Se connecter|")

    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        app.preprocess_request()
        assert render().startswith("Groups|Log in|")
        with force_locale("fr"):
            assert render().startswith("Groupes|Se connecter|")


def test_a_percent_sign_is_written_doubled_even_without_values(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Half: 50%%') }}") == "Half: 50%"
        assert render_template_string("{{ _('No values') }}") == "No values"
