"""What the API sends and accepts, written once as data.

Each ``Schema`` is a list of fields, each with its JSON Schema and how to read it from an
object. ``dump`` serialises with those fields and ``json_schema`` describes them, so the
OpenAPI document (forum/api/openapi.py) and the responses cannot drift apart. Request bodies
are JSON Schemas too: ``validate`` checks a body against the same schema the document shows.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, request, url_for

from forum.discussions.models import PostState
from forum.discussions.services import MAX_BODY_LENGTH
from forum.groups.models import JoinPolicy, RsvpStatus, SessionStatus, Visibility
from forum.moderation.models import FlagReason
from forum.moderation.services import MAX_REASON_LENGTH
from forum.notifications.queries import discussion_path

# JSON Schema of the values ----------------------------------------------------------------

INTEGER = {"type": "integer"}
# Ids are INTEGER columns: 32-bit on PostgreSQL. Larger numbers name nothing.
MAX_ID = 2**31 - 1
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
DATE_TIME = {"type": "string", "format": "date-time"}
URL = {"type": "string", "format": "uri"}


def nullable(schema: dict) -> dict:
    """The same value, or null (OpenAPI 3.1: a list of types)."""
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def enum_of(values) -> dict:
    return {"type": "string", "enum": [str(getattr(v, "value", v)) for v in values]}


def array_of(schema: dict) -> dict:
    return {"type": "array", "items": schema}


def _time(value):
    return value.isoformat() if value is not None else None


# Schemas ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    schema: dict
    # (object, context) -> the JSON value
    read: Callable[[Any, dict], Any]
    description: str = ""


@dataclass
class Schema:
    name: str
    fields: list[Field]
    description: str = ""

    def dump(self, obj, context: dict | None = None) -> dict:
        context = context or {}
        return {f.name: f.read(obj, context) for f in self.fields}

    def json_schema(self) -> dict:
        properties = {}
        for f in self.fields:
            properties[f.name] = {
                **f.schema,
                **({"description": f.description} if f.description else {}),
            }
        return {
            "type": "object",
            "description": self.description,
            "properties": properties,
            "required": [f.name for f in self.fields],
            "additionalProperties": False,
        }

    @property
    def ref(self) -> dict:
        return {"$ref": f"#/components/schemas/{self.name}"}


SCHEMAS: dict[str, Schema] = {}


def schema(name: str, fields: list[Field], description: str = "") -> Schema:
    made = Schema(name, fields, description)
    SCHEMAS[name] = made
    return made


def ref(name: str) -> dict:
    """A reference to a schema by name (for one that refers to itself)."""
    return {"$ref": f"#/components/schemas/{name}"}


@contextmanager
def _site_addresses():
    """Absolute addresses outside a request too (a webhook queued by a command or a job):
    the site's FORUM_BASE_URL stands in for the request's host."""
    if has_request_context():
        yield
        return
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        yield


def _url(endpoint: str, **values) -> str:
    with _site_addresses():
        return url_for(endpoint, _external=True, **values)


def _discussion_url(discussion) -> str:
    with _site_addresses():
        return request.host_url.rstrip("/") + discussion_path(discussion)


UserSchema = schema(
    "User",
    [
        Field("id", INTEGER, lambda u, c: u.id),
        Field("username", STRING, lambda u, c: u.username),
        Field("display_name", STRING, lambda u, c: u.display_name),
        Field("url", URL, lambda u, c: _url("accounts.show_profile", username=u.username)),
    ],
    "A member, as others see them.",
)

MeSchema = schema(
    "Me",
    [
        Field("id", INTEGER, lambda u, c: u.id),
        Field("username", STRING, lambda u, c: u.username),
        Field("display_name", STRING, lambda u, c: u.display_name),
        Field("email", STRING, lambda u, c: u.email),
        Field("role", enum_of(["reader", "moderator", "admin"]), lambda u, c: u.role.value),
        Field("is_verified", BOOLEAN, lambda u, c: u.is_verified),
        Field("timezone", STRING, lambda u, c: u.timezone),
        Field(
            "auth",
            enum_of(["session", "token"]),
            lambda u, c: "token" if c.get("token") else "session",
            "How this request was signed in.",
        ),
        Field(
            "token_scope",
            nullable(enum_of(["read", "write"])),
            lambda u, c: c["token"].scope.value if c.get("token") else None,
        ),
        Field(
            "csrf_token",
            nullable(STRING),
            lambda u, c: c.get("csrf_token"),
            "For a browser signed in by cookie: send it as X-CSRFToken with every write.",
        ),
    ],
    "The person the request is signed in as.",
)

GroupRefSchema = schema(
    "GroupRef",
    [
        Field("slug", STRING, lambda g, c: g.slug),
        Field("name", STRING, lambda g, c: g.name),
    ],
)

_article_fields = [
    Field("id", INTEGER, lambda a, c: a.id),
    Field("slug", STRING, lambda a, c: a.slug),
    Field("title", STRING, lambda a, c: a.title),
    Field("publication", STRING, lambda a, c: a.publication),
    Field("author_name", STRING, lambda a, c: a.author_name),
    Field("published_at", DATE_TIME, lambda a, c: _time(a.published_at)),
    Field("summary", STRING, lambda a, c: a.summary),
    Field("source_url", nullable(STRING), lambda a, c: a.source_url),
    Field("url", URL, lambda a, c: _url("articles.show_article", slug=a.slug)),
]

ArticleSummarySchema = schema(
    "ArticleSummary",
    [
        *_article_fields,
        Field(
            "comment_count",
            INTEGER,
            lambda a, c: c.get("comment_counts", {}).get(a.id, 0),
            "Published posts in its public discussion.",
        ),
    ],
    "An article in a list.",
)

ArticleSchema = schema(
    "Article",
    [
        *_article_fields,
        Field("author_bio", STRING, lambda a, c: a.author_bio),
        Field("body_html", STRING, lambda a, c: a.body_html, "Sanitised HTML."),
        Field(
            "discussion_id",
            nullable(INTEGER),
            lambda a, c: c.get("discussion_id"),
            "Its public discussion.",
        ),
        Field(
            "groups",
            array_of(GroupRefSchema.ref),
            lambda a, c: [GroupRefSchema.dump(g) for g in a.groups],
        ),
    ],
    "An article with its body.",
)

DiscussionSchema = schema(
    "Discussion",
    [
        Field("id", INTEGER, lambda d, c: d.id),
        Field("title", STRING, lambda d, c: c["title"]),
        Field("article_slug", nullable(STRING), lambda d, c: d.article.slug if d.article else None),
        Field("group_slug", nullable(STRING), lambda d, c: d.group.slug if d.group else None),
        Field("session_id", nullable(INTEGER), lambda d, c: d.session_id),
        Field("is_locked", BOOLEAN, lambda d, c: d.is_locked),
        Field(
            "closed_reason",
            nullable(STRING),
            lambda d, c: c.get("closed_reason"),
            "Why it takes no new posts, or null.",
        ),
        Field("can_reply", BOOLEAN, lambda d, c: c["can_reply"], "Whether you may post in it."),
        Field("post_count", INTEGER, lambda d, c: d.post_count),
        Field("last_post_at", nullable(DATE_TIME), lambda d, c: _time(d.last_post_at)),
        Field("url", URL, lambda d, c: _discussion_url(d)),
    ],
    "An article's public discussion, a group's discussion of it, or a session's.",
)


def _replies(post, context: dict) -> list[dict]:
    return [PostSchema.dump(child, context) for child in getattr(post, "children", [])]


def _shown(post, value):
    """A deleted post keeps its place (its replies hang under it) but not its words."""
    return None if post.is_deleted else value


PostSchema = schema(
    "Post",
    [
        Field("id", INTEGER, lambda p, c: p.id),
        Field("discussion_id", INTEGER, lambda p, c: p.discussion_id),
        Field("parent_id", nullable(INTEGER), lambda p, c: p.parent_id),
        Field("depth", INTEGER, lambda p, c: p.depth),
        Field(
            "state",
            enum_of(PostState),
            lambda p, c: p.state.value,
            "Pending posts are shown only to their author and the moderators.",
        ),
        Field(
            "author", nullable(UserSchema.ref), lambda p, c: _shown(p, UserSchema.dump(p.author))
        ),
        Field(
            "body_md", nullable(STRING), lambda p, c: _shown(p, p.body_md), "As written (markdown)."
        ),
        Field(
            "body_html", nullable(STRING), lambda p, c: _shown(p, p.body_html), "Sanitised HTML."
        ),
        Field("created_at", DATE_TIME, lambda p, c: _time(p.created_at)),
        Field("edited_at", nullable(DATE_TIME), lambda p, c: _time(p.edited_at)),
        Field("score", INTEGER, lambda p, c: p.score),
        Field("reply_count", INTEGER, lambda p, c: p.reply_count),
        Field("voted", BOOLEAN, lambda p, c: p.id in c.get("voted", ()), "You voted for it."),
        Field("flagged", BOOLEAN, lambda p, c: p.id in c.get("flagged", ()), "You flagged it."),
        Field("url", URL, lambda p, c: _url("discussions.show_post", post_id=p.id)),
        Field(
            "replies",
            array_of(ref("Post")),
            _replies,
            "Replies shown with a thread page, nested (empty elsewhere).",
        ),
    ],
    "A post; in a thread, with its replies.",
)

GroupSchema = schema(
    "Group",
    [
        Field("id", INTEGER, lambda g, c: g.id),
        Field("slug", STRING, lambda g, c: g.slug),
        Field("name", STRING, lambda g, c: g.name),
        Field("description", STRING, lambda g, c: g.description),
        Field("visibility", enum_of(Visibility), lambda g, c: g.visibility.value),
        Field("join_policy", enum_of(JoinPolicy), lambda g, c: g.join_policy.value),
        Field("timezone", STRING, lambda g, c: g.timezone),
        Field("place", STRING, lambda g, c: g.place),
        Field("meeting_pattern", STRING, lambda g, c: g.meeting_pattern),
        Field("member_count", INTEGER, lambda g, c: c["member_counts"].get(g.id, 0)),
        Field("url", URL, lambda g, c: _url("groups.show_group", slug=g.slug)),
    ],
    "A discussion group.",
)

RSVP_CHOICES = [RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.DECLINED]

RsvpCountsSchema = schema(
    "RsvpCounts",
    [
        Field(str(status), INTEGER, lambda counts, c, s=status: counts.get(s, 0))
        for status in RsvpStatus
    ],
)

SessionSchema = schema(
    "Session",
    [
        Field("id", INTEGER, lambda s, c: s.id),
        Field("group_slug", STRING, lambda s, c: s.group.slug),
        Field("title", STRING, lambda s, c: s.title),
        Field("topic", STRING, lambda s, c: s.topic),
        Field("starts_at", DATE_TIME, lambda s, c: _time(s.starts_at)),
        Field("ends_at", DATE_TIME, lambda s, c: _time(s.ends_at)),
        Field("timezone", STRING, lambda s, c: s.timezone),
        Field("place", STRING, lambda s, c: s.place),
        Field("online_url", STRING, lambda s, c: s.online_url),
        Field("capacity", nullable(INTEGER), lambda s, c: s.capacity),
        Field("status", enum_of(SessionStatus), lambda s, c: s.status.value),
        Field("agenda_html", STRING, lambda s, c: s.agenda_html),
        Field(
            "readings",
            array_of(STRING),
            lambda s, c: [reading.article.slug for reading in s.readings],
            "Slugs of the articles to read before it.",
        ),
        Field(
            "url", URL, lambda s, c: _url("groups.show_session", slug=s.group.slug, session_id=s.id)
        ),
    ],
    "A meeting of a group.",
)

SessionDetailSchema = schema(
    "SessionDetail",
    [
        *SessionSchema.fields,
        Field("discussion_id", nullable(INTEGER), lambda s, c: c.get("discussion_id")),
        Field("rsvp_counts", RsvpCountsSchema.ref, lambda s, c: RsvpCountsSchema.dump(c["counts"])),
        Field(
            "my_rsvp",
            nullable(enum_of(RsvpStatus)),
            lambda s, c: c["rsvp"].status.value if c.get("rsvp") else None,
        ),
        Field("can_rsvp", BOOLEAN, lambda s, c: c["can_rsvp"]),
    ],
    "A session with its answers.",
)

RsvpSchema = schema(
    "Rsvp",
    [
        Field("session_id", INTEGER, lambda r, c: r.session_id),
        Field(
            "status",
            enum_of(RsvpStatus),
            lambda r, c: r.status.value,
            "Going to a full session puts you on the waitlist.",
        ),
        Field("answered_at", DATE_TIME, lambda r, c: _time(r.answered_at)),
    ],
)

VoteSchema = schema(
    "Vote",
    [
        Field("post_id", INTEGER, lambda p, c: p.id),
        Field("voted", BOOLEAN, lambda p, c: c["voted"]),
        Field("score", INTEGER, lambda p, c: p.score),
    ],
)

FlagSchema = schema(
    "Flag",
    [
        Field("id", INTEGER, lambda f, c: f.id),
        Field("post_id", INTEGER, lambda f, c: f.post_id),
        Field("reason", enum_of(FlagReason), lambda f, c: f.reason.value),
        Field("note", STRING, lambda f, c: f.note),
        Field("created_at", DATE_TIME, lambda f, c: _time(f.created_at)),
    ],
)

SearchHitSchema = schema(
    "SearchHit",
    [
        Field("kind", enum_of(["article", "post"]), lambda h, c: h.kind),
        Field("title", STRING, lambda h, c: h.title),
        Field("snippet_html", STRING, lambda h, c: str(h.snippet), "Matched words in <mark>."),
        Field("article_slug", nullable(STRING), lambda h, c: h.article.slug if h.article else None),
        Field("post_id", nullable(INTEGER), lambda h, c: h.post.id if h.post else None),
        Field(
            "url",
            URL,
            lambda h, c: (
                _url("discussions.show_post", post_id=h.post.id)
                if h.post
                else _url("articles.show_article", slug=h.article.slug)
            ),
        ),
    ],
)

NotificationSchema = schema(
    "Notification",
    [
        Field("id", INTEGER, lambda n, c: n.id),
        Field("kind", STRING, lambda n, c: n.kind),
        Field("created_at", DATE_TIME, lambda n, c: _time(n.created_at)),
        Field("read", BOOLEAN, lambda n, c: n.read_at is not None),
        Field(
            "actor",
            nullable(UserSchema.ref),
            lambda n, c: UserSchema.dump(n.actor) if n.actor else None,
        ),
        Field("post_id", nullable(INTEGER), lambda n, c: n.post_id),
        Field("discussion_id", nullable(INTEGER), lambda n, c: n.discussion_id),
        Field("detail", STRING, lambda n, c: n.detail),
    ],
)

MarkedReadSchema = schema("MarkedRead", [Field("marked", INTEGER, lambda n, c: n)])

ErrorSchema = schema(
    "Error",
    [
        Field(
            "error",
            {
                "type": "object",
                "properties": {
                    "status": INTEGER,
                    "code": STRING,
                    "message": STRING,
                    "fields": {"type": "object", "additionalProperties": STRING},
                },
                "required": ["status", "code", "message", "fields"],
                "additionalProperties": False,
            },
            lambda e, c: e,
        )
    ],
    "Every error under /api: the HTTP status, a code for programs, a message for people, and "
    "messages per field of the request body.",
)


def page_schema(item: Schema) -> dict:
    """A page of a list: its items, and the cursor of the next page (null on the last)."""
    return {
        "type": "object",
        "properties": {
            "items": array_of(item.ref),
            "next_cursor": {
                **nullable(STRING),
                "description": "Pass as ?cursor= for the next page; null on the last page.",
            },
        },
        "required": ["items", "next_cursor"],
        "additionalProperties": False,
    }


def thread_schema() -> dict:
    schema_ = page_schema(PostSchema)
    schema_["properties"]["discussion"] = DiscussionSchema.ref
    schema_["properties"]["sort"] = enum_of(["oldest", "newest", "top"])
    schema_["required"] = [*schema_["required"], "discussion", "sort"]
    return schema_


# Request bodies ---------------------------------------------------------------------------

NEW_POST = {
    "type": "object",
    "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY_LENGTH},
        "parent_id": {
            **ID,
            "type": ["integer", "null"],
            "description": "The post replied to; absent or null for a top-level post.",
        },
    },
    "required": ["body"],
    "additionalProperties": False,
}

EDIT_POST = {
    "type": "object",
    "properties": {"body": {"type": "string", "minLength": 1, "maxLength": MAX_BODY_LENGTH}},
    "required": ["body"],
    "additionalProperties": False,
}

NEW_FLAG = {
    "type": "object",
    "properties": {
        "reason": enum_of(FlagReason),
        "note": {
            "type": "string",
            "maxLength": MAX_REASON_LENGTH,
            "description": "Required with the reason 'other'.",
        },
    },
    "required": ["reason"],
    "additionalProperties": False,
}

RSVP = {
    "type": "object",
    "properties": {"status": enum_of(RSVP_CHOICES)},
    "required": ["status"],
    "additionalProperties": False,
}

MARK_READ = {
    "type": "object",
    "properties": {
        "ids": {
            "type": "array",
            "items": ID,
            "maxItems": 500,
            "description": "The notifications to mark read; absent: all of them.",
        }
    },
    "additionalProperties": False,
}

BODIES = {
    "NewPost": NEW_POST,
    "EditPost": EDIT_POST,
    "NewFlag": NEW_FLAG,
    "RsvpAnswer": RSVP,
    "MarkRead": MARK_READ,
}


# Checking a request body against its schema ----------------------------------------------

_PYTHON_TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def _type_matches(value, names) -> bool:
    names = [names] if isinstance(names, str) else names
    for name in names:
        if name == "integer" and isinstance(value, bool):
            continue
        if isinstance(value, _PYTHON_TYPES[name]):
            return True
    return False


def _problem(value, schema_: dict) -> str | None:
    """Why ``value`` does not fit ``schema_`` (the subset of JSON Schema used above)."""
    if "type" in schema_ and not _type_matches(value, schema_["type"]):
        wanted = (
            schema_["type"] if isinstance(schema_["type"], str) else " or ".join(schema_["type"])
        )
        return f"Expected {wanted}."
    if "enum" in schema_ and value not in schema_["enum"]:
        return "Choose one of: " + ", ".join(schema_["enum"]) + "."
    if isinstance(value, str):
        if len(value) < schema_.get("minLength", 0):
            return "Write something here."
        if "maxLength" in schema_ and len(value) > schema_["maxLength"]:
            return f"At most {schema_['maxLength']:,} characters."
    if isinstance(value, list):
        if "maxItems" in schema_ and len(value) > schema_["maxItems"]:
            return f"At most {schema_['maxItems']} items."
        for item in value:
            problem = _problem(item, schema_.get("items", {}))
            if problem:
                return problem
    if isinstance(value, int) and not isinstance(value, bool):
        if value < schema_.get("minimum", value) or value > schema_.get("maximum", value):
            return "Out of range: no such id."
    return None


def validate(body, schema_: dict) -> dict[str, str]:
    """Messages per field of ``body`` that does not fit ``schema_`` (an object schema)."""
    if not isinstance(body, dict):
        return {"": "Send a JSON object."}
    errors: dict[str, str] = {}
    properties = schema_.get("properties", {})
    for name in schema_.get("required", []):
        if name not in body:
            errors[name] = "This field is required."
    for name, value in body.items():
        if name not in properties:
            errors[name] = "Unknown field."
            continue
        problem = _problem(value, properties[name])
        if problem:
            errors[name] = problem
    return errors
