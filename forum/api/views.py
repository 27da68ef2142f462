"""/api/v1: another view layer over the domains' services, queries and permissions, in JSON.

Authentication: a personal token (``Authorization: Bearer``; its scope says whether it may
write), or the browser's session cookie, whose writes must carry the CSRF token in the
``X-CSRFToken`` header (Flask-WTF's form check is off for this blueprint; ``_authenticate``
does it instead, for cookie requests only). Also here: the settings page for tokens and the
admin page for webhooks (``pages``, a blueprint of ordinary HTML forms with CSRF).
"""

from __future__ import annotations

import hashlib
from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.exceptions import BadRequest, HTTPException, Unauthorized
from wtforms import ValidationError

from forum.accounts.permissions import is_signed_in
from forum.api import cursors, errors, permissions, queries, services
from forum.api import schemas as s
from forum.api.forms import TokenForm, WebhookForm
from forum.api.openapi import CURSOR, ID, OPERATIONS, Operation, document
from forum.articles import queries as articles
from forum.core.errors import NotVisible, ValidationFailed
from forum.core.forms import show_refusal
from forum.core.i18n import DEFAULT, answer_in
from forum.core.text import clean_input
from forum.discussions import permissions as discussion_permissions
from forum.discussions import queries as discussions
from forum.discussions import services as discussion_services
from forum.extensions import db, limiter
from forum.groups import permissions as group_permissions
from forum.groups import queries as groups
from forum.groups import services as group_services
from forum.moderation import services as moderation
from forum.notifications import queries as notifications
from forum.notifications import services as notification_services
from forum.search import queries as search_queries

bp = Blueprint("api", __name__, url_prefix="/api/v1")
pages = Blueprint("api_pages", __name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")


# Who is asking ---------------------------------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _space, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send the token as “Authorization: Bearer <token>”.")
    return raw.strip()


def _rate_key() -> str:
    """Limits count per person (by token or cookie), or per address."""
    header = request.headers.get("Authorization", "")
    if header:
        _scheme, _space, raw = header.partition(" ")
        token = queries.token_for_secret(raw.strip())
        if token is not None:
            return f"user:{token.user_id}"
        return "token:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


@bp.before_request
def _answer_in_english():
    # Programs read these answers, the shared refusals included: they stay in the language
    # the OpenAPI document is written in, whatever the client's Accept-Language says.
    answer_in(DEFAULT)


@bp.before_request
def _authenticate():
    g.api_token = None
    raw = _bearer()
    if raw is not None:
        token = queries.token_for_secret(raw)
        if token is None:
            raise Unauthorized("This token is unknown or has been revoked.")
        g.api_token = token
        g.api_actor = token.user
        if services.note_token_used(token):
            db.session.commit()
    else:
        g.api_actor = current_user._get_current_object()
    if request.method in SAFE_METHODS:
        return None
    if not is_signed_in(g.api_actor):
        raise Unauthorized()
    if g.api_token is None:
        # Cookies go with every request a browser makes, whoever's page asked for it.
        sent = next((request.headers[h] for h in CSRF_HEADERS if h in request.headers), None)
        try:
            validate_csrf(sent)
        except ValidationError:
            return errors.error_response(
                403,
                "A write signed in by cookie needs the CSRF token in the X-CSRFToken header "
                "(GET /api/v1/me gives it).",
                code="csrf_failed",
            )
    permissions.require_write_with(g.api_token)
    return None


def _actor():
    return g.api_actor


def _require_actor():
    if not is_signed_in(g.api_actor):
        raise Unauthorized()
    return g.api_actor


bp.register_error_handler(HTTPException, errors.http_error)
bp.register_error_handler(Exception, errors.unexpected_error)


@bp.errorhandler(ValidationFailed)
def _refused(error: ValidationFailed):
    status = 400 if error.field in ("cursor", "q", "sort") else 422
    fields = getattr(error, "fields", None) or (
        {error.field: error.message} if error.field else None
    )
    return errors.error_response(status, error.message, fields=fields)


# Rate limits: every request, and writes more tightly; both FORUM settings.
limiter.limit(
    lambda: current_app.config.get("RATELIMIT_API", "300 per minute"), key_func=_rate_key
)(bp)


def _json_body(schema_name: str) -> dict:
    """The request's JSON object, checked against its schema (the one the document shows)."""
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    problems = s.validate(body, s.BODIES[schema_name])
    if problems:
        raise BodyRefused(problems)
    return {k: clean_input(v) if isinstance(v, str) else v for k, v in body.items()}


class BodyRefused(ValidationFailed):
    """The body does not fit its schema: a message for each field that is wrong."""

    def __init__(self, problems: dict[str, str]):
        name, problem = next(iter(problems.items()))
        super().__init__(None, f"{name or 'body'}: {problem}")
        self.fields = problems


def _page(schema: s.Schema, page, context: dict | None = None, last: int = cursors.MAX_PAGE):
    return {
        "items": [schema.dump(item, context) for item in page.items],
        "next_cursor": cursors.next_cursor(page, last),
    }


def operation(
    method: str,
    rule: str,
    summary: str,
    response: dict | None,
    *,
    status: int = 200,
    body: str | None = None,
    query: list[dict] | None = None,
    auth_required: bool = False,
    errors_: tuple[int, ...] = (),
    tag: str = "",
):
    """Register an API view and describe it in the OpenAPI document, in one place."""

    def register(view):
        OPERATIONS.append(
            Operation(
                method=method,
                rule=rule,
                endpoint=view.__name__,
                summary=summary,
                response=response,
                status=status,
                body=body,
                query=query or [],
                auth_required=auth_required,
                errors=errors_,
                tag=tag,
            )
        )
        bp.add_url_rule(rule, view_func=view, methods=[method.upper()])
        return view

    return register


def _created(payload: dict, location: str):
    response = jsonify(payload)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# The document and the caller ------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return jsonify(document(request.host_url.rstrip("/")))


@operation("get", "/me", "The person signed in", s.MeSchema.ref, auth_required=True, tag="me")
def show_me():
    actor = _require_actor()
    context = {"token": g.api_token, "csrf_token": None if g.api_token else generate_csrf()}
    return jsonify(s.MeSchema.dump(actor, context))


# Articles ---------------------------------------------------------------------------------


@operation(
    "get",
    "/articles",
    "Articles, newest first",
    s.page_schema(s.ArticleSummarySchema),
    query=[CURSOR],
    tag="articles",
)
def list_articles():
    page = articles.article_page(_actor(), cursors.page_number(request.args.get("cursor")))
    rows = page.items
    page.items = [article for article, _count in rows]
    counts = {article.id: count for article, count in rows}
    return jsonify(_page(s.ArticleSummarySchema, page, {"comment_counts": counts}))


@operation("get", "/articles/<slug>", "An article", s.ArticleSchema.ref, tag="articles")
def show_article(slug: str):
    article = articles.get_article_for(_actor(), slug)
    try:
        discussion_id = discussions.get_public_discussion(article).id
    except NotVisible:
        discussion_id = None
    return jsonify(s.ArticleSchema.dump(article, {"discussion_id": discussion_id}))


# Discussions and posts -----------------------------------------------------------------------


def _discussion_context(discussion) -> dict:
    return {
        "title": notifications.discussion_title(discussion),
        "closed_reason": discussion_permissions.closed_notice(discussion),
        "can_reply": discussion_permissions.can_reply(_actor(), discussion),
    }


@operation(
    "get",
    f"/discussions/<{ID}:discussion_id>",
    "A discussion",
    s.DiscussionSchema.ref,
    tag="discussions",
)
def show_discussion(discussion_id: int):
    discussion = discussions.get_discussion_for(_actor(), discussion_id)
    return jsonify(s.DiscussionSchema.dump(discussion, _discussion_context(discussion)))


SORT = {
    "name": "sort",
    "in": "query",
    "required": False,
    "description": "Order of the top-level posts (replies are oldest first).",
    "schema": {"type": "string", "enum": list(discussions.SORTS)},
}


@operation(
    "get",
    f"/discussions/<{ID}:discussion_id>/posts",
    "A page of the discussion's top-level posts, each with its replies nested",
    s.thread_schema(),
    query=[SORT, CURSOR],
    tag="discussions",
)
def list_posts(discussion_id: int):
    discussion = discussions.get_discussion_for(_actor(), discussion_id)
    sort = request.args.get("sort", "oldest")
    if sort not in discussions.SORTS:
        raise ValidationFailed("sort", "Sort by oldest, newest or top.")
    thread = discussions.thread_page(
        _actor(), discussion, cursors.page_number(request.args.get("cursor")), sort
    )
    context = {"voted": thread.voted, "flagged": thread.flagged}
    payload = _page(s.PostSchema, thread.page, context)
    payload["discussion"] = s.DiscussionSchema.dump(discussion, _discussion_context(discussion))
    payload["sort"] = thread.sort
    return jsonify(payload)


def _parent(discussion, parent_id: int | None):
    if parent_id is None:
        return None
    try:
        parent = discussions.get_post_for(_actor(), parent_id)
    except NotVisible:
        raise ValidationFailed("parent_id", "There is no such post to reply to.") from None
    return parent


def _posting_limit() -> str:
    return current_app.config.get("RATELIMIT_POSTING", "10 per minute")


@operation(
    "post",
    f"/discussions/<{ID}:discussion_id>/posts",
    "Post in a discussion, at the top level or as a reply (201; a held post has state pending)",
    s.PostSchema.ref,
    status=201,
    body="NewPost",
    errors_=(409,),
    tag="posts",
)
@limiter.limit(
    _posting_limit,
    key_func=_rate_key,
    deduct_when=lambda response: response.status_code == 201,
    override_defaults=False,
)
def create_post(discussion_id: int):
    actor = _require_actor()
    discussion = discussions.get_discussion_for(actor, discussion_id)
    body = _json_body("NewPost")
    parent = _parent(discussion, body.get("parent_id"))
    try:
        post = discussion_services.post_reply(actor, discussion, parent, body["body"])
    except discussion_services.DuplicatePost as duplicate:
        return errors.error_response(
            409,
            duplicate.message,
            code="duplicate",
            headers={"Location": _post_url(duplicate.post)},
        )
    db.session.commit()
    return _created(s.PostSchema.dump(post), _post_url(post))


def _post_url(post) -> str:
    return url_for("api.show_post", post_id=post.id, _external=True)


@operation(
    "get",
    f"/posts/<{ID}:post_id>",
    "A post with its replies nested",
    s.PostSchema.ref,
    tag="posts",
)
def show_post(post_id: int):
    post = discussions.get_post_for(_actor(), post_id)
    thread = discussions.continued_thread(_actor(), post)
    return jsonify(s.PostSchema.dump(post, {"voted": thread.voted, "flagged": thread.flagged}))


@operation(
    "patch",
    f"/posts/<{ID}:post_id>",
    "Edit a post (its earlier text is kept as a revision)",
    s.PostSchema.ref,
    body="EditPost",
    tag="posts",
)
def edit_post(post_id: int):
    actor = _require_actor()
    post = discussions.get_post_for(actor, post_id)
    body = _json_body("EditPost")
    discussion_services.edit_post(actor, post, body["body"])
    db.session.commit()
    return jsonify(s.PostSchema.dump(post))


@operation(
    "delete",
    f"/posts/<{ID}:post_id>",
    "Delete a post (its replies stay; a moderator's deletion is logged)",
    None,
    status=204,
    tag="posts",
)
def delete_post(post_id: int):
    actor = _require_actor()
    post = discussions.get_post_for(actor, post_id)
    if discussion_permissions.is_author(actor, post):
        discussion_services.delete_post(actor, post)
    else:
        moderation.delete_post(actor, post)
    db.session.commit()
    return "", 204


@operation(
    "post",
    f"/posts/<{ID}:post_id>/flags",
    "Flag a post for the moderators",
    s.FlagSchema.ref,
    status=201,
    body="NewFlag",
    tag="posts",
)
def flag_post(post_id: int):
    actor = _require_actor()
    post = discussions.get_post_for(actor, post_id)
    body = _json_body("NewFlag")
    flag = moderation.flag_post(actor, post, body["reason"], body.get("note", ""))
    db.session.commit()
    return _created(s.FlagSchema.dump(flag), _post_url(post))


def _set_vote(post_id: int, wanted: bool):
    actor = _require_actor()
    post = discussions.get_post_for(actor, post_id)
    voted = queries.has_voted(actor, post)
    if voted != wanted:
        voted = discussion_services.toggle_vote(actor, post)
        db.session.commit()
        db.session.refresh(post)
    else:
        discussion_permissions.require_vote(actor, post)
    return jsonify(s.VoteSchema.dump(post, {"voted": voted}))


@operation(
    "put",
    f"/posts/<{ID}:post_id>/vote",
    "Vote for a post (again: no change)",
    s.VoteSchema.ref,
    tag="posts",
)
def vote_post(post_id: int):
    return _set_vote(post_id, True)


@operation(
    "delete",
    f"/posts/<{ID}:post_id>/vote",
    "Take your vote back",
    s.VoteSchema.ref,
    tag="posts",
)
def unvote_post(post_id: int):
    return _set_vote(post_id, False)


# Groups, sessions, RSVP ------------------------------------------------------------------


@operation(
    "get", "/groups", "Groups, by name", s.page_schema(s.GroupSchema), query=[CURSOR], tag="groups"
)
def list_groups():
    page = groups.list_groups(_actor(), cursors.page_number(request.args.get("cursor")))
    rows = page.items
    page.items = [group for group, _count in rows]
    counts = {group.id: count for group, count in rows}
    return jsonify(_page(s.GroupSchema, page, {"member_counts": counts}))


@operation("get", "/groups/<slug>", "A group", s.GroupSchema.ref, tag="groups")
def show_group(slug: str):
    group = groups.get_group_for(_actor(), slug)
    return jsonify(
        s.GroupSchema.dump(group, {"member_counts": {group.id: groups.member_count(group)}})
    )


@operation(
    "get",
    "/groups/<slug>/sessions",
    "A group's sessions, in date order",
    s.page_schema(s.SessionSchema),
    query=[CURSOR],
    tag="groups",
)
def list_sessions(slug: str):
    group = groups.get_group_for(_actor(), slug)
    page = queries.sessions_of(group, cursors.page_number(request.args.get("cursor")))
    return jsonify(_page(s.SessionSchema, page))


def _session_for(session_id: int):
    return queries.get_session_for(_actor(), session_id)


def _session_context(session) -> dict:
    try:
        discussion_id = groups.session_discussion(session).id
    except NotVisible:
        discussion_id = None
    return {
        "discussion_id": discussion_id,
        "counts": groups.rsvp_counts(session),
        "rsvp": groups.rsvp_of(_actor(), session),
        "can_rsvp": group_permissions.can_rsvp(_actor(), session),
    }


@operation(
    "get",
    f"/sessions/<{ID}:session_id>",
    "A session with its RSVP counts and yours",
    s.SessionDetailSchema.ref,
    tag="groups",
)
def show_session(session_id: int):
    session = _session_for(session_id)
    return jsonify(s.SessionDetailSchema.dump(session, _session_context(session)))


@operation(
    "put",
    f"/sessions/<{ID}:session_id>/rsvp",
    "Say whether you are coming (going to a full session: the waitlist)",
    s.RsvpSchema.ref,
    body="RsvpAnswer",
    tag="groups",
)
def rsvp(session_id: int):
    actor = _require_actor()
    session = _session_for(session_id)
    body = _json_body("RsvpAnswer")
    answer = group_services.respond(actor, session, body["status"])
    db.session.commit()
    return jsonify(s.RsvpSchema.dump(answer))


# Search and notifications -------------------------------------------------------------------

QUERY = {
    "name": "q",
    "in": "query",
    "required": False,
    "description": "The words to find (all of them); none: no results.",
    "schema": {"type": "string", "maxLength": 500},
}


@operation(
    "get",
    "/search",
    "Articles and posts matching all the words, best first",
    s.page_schema(s.SearchHitSchema),
    query=[QUERY, CURSOR],
    tag="search",
)
def search():
    text = request.args.get("q", "")
    if len(text) > 500:
        raise ValidationFailed("q", "Search for at most 500 characters.")
    number = cursors.page_number(request.args.get("cursor"))
    results = search_queries.search(_actor(), clean_input(text), number)
    last = search_queries.MAX_RESULTS // search_queries.PER_PAGE
    return jsonify(_page(s.SearchHitSchema, results.page, last=last))


@operation(
    "get",
    "/notifications",
    "Your notifications, newest first",
    s.page_schema(s.NotificationSchema),
    query=[CURSOR],
    auth_required=True,
    tag="me",
)
def list_notifications():
    actor = _require_actor()
    page = notifications.notifications_for(actor, cursors.page_number(request.args.get("cursor")))
    return jsonify(_page(s.NotificationSchema, page))


@operation(
    "post",
    "/notifications/read",
    "Mark notifications read (all, or those listed)",
    s.MarkedReadSchema.ref,
    body="MarkRead",
    auth_required=True,
    tag="me",
)
def mark_notifications_read():
    actor = _require_actor()
    body = _json_body("MarkRead")
    marked = notification_services.mark_read(actor, body.get("ids"))
    db.session.commit()
    return jsonify(s.MarkedReadSchema.dump(marked))


# Pages: tokens in settings, webhooks for admins -------------------------------------------


def _form_status(form) -> int:
    return 422 if request.method == "POST" and (form.errors or form.form_errors) else 200


@pages.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def list_tokens():
    actor = current_user._get_current_object()
    permissions.require_manage_tokens(actor)
    form = TokenForm()
    new_secret = None
    status = 200
    if form.validate_on_submit():
        try:
            token, new_secret = services.create_token(actor, form.name.data, form.scope.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
            status = 201
    return (
        render_template(
            "api/tokens.html",
            form=form,
            tokens=queries.tokens_of(actor),
            new_secret=new_secret,
        ),
        status if new_secret else _form_status(form),
    )


@pages.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    actor = current_user._get_current_object()
    token = queries.get_token_of(actor, token_id)
    services.revoke_token(actor, token)
    db.session.commit()
    flash(
        _(
            "The token “%(name)s” is revoked: scripts using it are refused from now on.",
            name=token.name,
        ),
        "success",
    )
    return redirect(url_for("api_pages.list_tokens"))


@pages.route("/admin/webhooks", methods=["GET", "POST"])
@login_required
def list_webhooks():
    actor = current_user._get_current_object()
    permissions.require_manage_webhooks(actor)
    form = WebhookForm()
    created = None
    if form.validate_on_submit():
        try:
            created = services.create_webhook(actor, form.url.data, form.chosen_events())
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            form = WebhookForm(formdata=None)
    hooks = queries.webhooks()
    return (
        render_template(
            "api/webhooks.html",
            form=form,
            webhooks=hooks,
            deliveries={hook.id: queries.recent_deliveries(hook) for hook in hooks},
            created=created,
            events=services.EVENTS,
        ),
        201 if created else _form_status(form),
    )


def _webhook_action(webhook_id: int, act) -> object:
    actor = current_user._get_current_object()
    permissions.require_manage_webhooks(actor)
    webhook = queries.get_webhook(webhook_id)
    message = act(actor, webhook)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("api_pages.list_webhooks"))


def _pause(active: bool, actor, webhook) -> str:
    services.set_webhook_active(actor, webhook, active)
    if active:
        return _("%(url)s is sent events again.", url=webhook.url)
    return _("%(url)s is paused.", url=webhook.url)


def _delete(actor, webhook) -> str:
    url = webhook.url
    services.delete_webhook(actor, webhook)
    return _("The webhook to %(url)s is deleted.", url=url)


@pages.post("/admin/webhooks/<int:webhook_id>/pause")
@login_required
def pause_webhook(webhook_id: int):
    return _webhook_action(webhook_id, partial(_pause, False))


@pages.post("/admin/webhooks/<int:webhook_id>/resume")
@login_required
def resume_webhook(webhook_id: int):
    return _webhook_action(webhook_id, partial(_pause, True))


@pages.post("/admin/webhooks/<int:webhook_id>/delete")
@login_required
def delete_webhook(webhook_id: int):
    return _webhook_action(webhook_id, _delete)
