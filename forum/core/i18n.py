"""Languages: user-facing strings are marked for translation (Flask-Babel) and shown in the
viewer's language: the one a member saved on their account (settings, or the footer's language
links while logged in), else the one chosen in this browser (the footer's links, kept in a
cookie so it works before logging in), else the best match of their browser's
Accept-Language, else English. Dates and numbers follow the same language. Emails are written
in their recipient's language (forum.core.mail), whoever's request sends them.

Translations live in ``translations/<language>/LC_MESSAGES/messages.po`` beside the templates;
``make translations`` extracts the strings, updates the catalogues and compiles them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from blinker import Namespace
from flask import Blueprint, Flask, current_app, g, has_request_context, redirect, request
from flask_babel import Babel, get_locale, get_translations, refresh
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from forum.core.urls import safe_next
from forum.core.web import may_be_signed_in
from forum.extensions import db

# The languages shipped, by their code, each named in itself.
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"
COOKIE = "forum_language"
ONE_YEAR = 365 * 24 * 3600

babel = Babel()
bp = Blueprint("i18n", __name__)
# A signed-in member picked a language from the footer: sent with ``user`` and ``language``;
# the accounts domain saves it on the account (the view commits). Core knows no accounts.
language_chosen = Namespace().signal("language-chosen")


def is_language(code: object) -> bool:
    return isinstance(code, str) and code in LANGUAGES


def select_language() -> str:
    # The worker and the commands render emails with no request: they write in English (an
    # email to a member is written in theirs: forum.core.mail forces it).
    if not has_request_context():
        return DEFAULT
    if is_language(fixed := g.get("answer_language")):
        return fixed
    # Flask-Login is asked only when someone may be signed in.
    if may_be_signed_in():
        saved = getattr(current_user, "language", None)
        if is_language(saved):
            return saved
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def answer_in(language: str) -> None:
    """For a request read by a program (the API): its answers, refusals from the shared
    permissions and services included, stay in one language whatever the browser says."""
    g.answer_language = language
    refresh()


def current_language() -> str:
    """The viewer's language code ("en" outside a request: emails, commands)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT


@bp.get("/language/<code>")
def choose_language(code: str):
    """Links in every page's footer: a GET, so pages keep no form token and stay cacheable;
    all it changes is how the reader's own pages and emails are written."""
    response = redirect(safe_next(request.args.get("next")))
    if is_language(code):
        if current_user.is_authenticated and _followed_from_here():
            language_chosen.send(
                current_app._get_current_object(),
                user=current_user._get_current_object(),
                language=code,
            )
            db.session.commit()
        response.set_cookie(
            COOKIE,
            code,
            max_age=ONE_YEAR,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _followed_from_here() -> bool:
    """The link was followed from one of Forum's pages, or typed: the choice is a GET (no form
    token), so another site sending a member's browser here must not change their account.
    Browsers say where a request comes from (Sec-Fetch-Site); older ones send the Referer,
    which our Referrer-Policy (same-origin) keeps for our own pages."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    return urlsplit(request.referrer or "").netloc == request.host


def _language_context() -> dict:
    return {
        "current_language": current_language(),
        "languages": LANGUAGES,
    }


def _settle_language() -> None:
    """Choose the request's language before the view runs (Flask-Babel keeps it for the
    request). Chosen later, it could need the member's row after a failed write, when the
    database session refuses every read until it is rolled back: a refusal worded in an
    ``except IntegrityError`` would become a 500."""
    if request.endpoint != "static":
        get_locale()


# Templates ask for dozens of strings a page. Flask-Babel finds the catalogue anew for each one
# (the domain, the locale, its name, a cache) and Jinja's wrappers %-format every string, even
# one with nothing to fill in; these two answer the same for a quarter of the time. The
# catalogue is remembered with the locale object it was found for: ``force_locale`` (an email
# in its recipient's language) and ``refresh`` (``answer_in``) put another object in place, so
# a change of language is always seen. Forum uses Flask-Babel's one default domain.
_CATALOGUE = "_i18n_catalogue"


def _catalogue():
    locale = get_locale()
    if locale is None:
        return get_translations()
    known = g.get(_CATALOGUE)
    if known is not None and known[0] is locale:
        return known[1]
    translations = get_translations()
    setattr(g, _CATALOGUE, (locale, translations))
    return translations


def _filled(context, text: str, variables: dict) -> str:
    # As Jinja's newstyle gettext: always a format string, so "%%" is a percent sign; with no
    # "%" and no variables, formatting would return the text unchanged.
    if context.eval_ctx.autoescape:
        # A message from our own catalogue, as Jinja's gettext treats it; the values filled
        # in are escaped by Markup's % operator.
        text = Markup(text)  # nosec B704
    return text % variables if variables or "%" in text else text


@pass_context
def _gettext(context, string: str, /, **variables) -> str:
    return _filled(context, _catalogue().ugettext(string), variables)


@pass_context
def _ngettext(context, singular: str, plural: str, number: int, /, **variables) -> str:
    variables.setdefault("num", number)
    return _filled(context, _catalogue().ungettext(singular, plural, number), variables)


def init_app(app: Flask, directory: str) -> None:
    babel.init_app(
        app,
        locale_selector=select_language,
        default_translation_directories=directory,
    )
    # In place of the ones Flask-Babel installed (same answers, see _catalogue).
    app.jinja_env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    # A {% trans %} block may wrap over several lines in a template; its message is one line.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.register_blueprint(bp)
    app.before_request(_settle_language)
    app.context_processor(_language_context)
