"""Each discussion's content token: a random value the database replaces whenever anything
its thread shows changes, so a rendered thread can be stored under it and is never stale.

What a thread shows comes from three tables: its posts (text, state, score, replies, edits),
the featured pins, and the names of the posts' authors. Triggers on those tables give the
discussion a new token in the same transaction as the change, whichever code makes it
(services, moderation, account deletion, the CLI, the benchmark's bulk inserts): nothing has
to remember to. The token is random rather than counted, so a restored backup or an emptied
database never brings back a token that stood for other content.

The triggers are created with the tables (``db.create_all``) and by the migration that added
the column; both write them out, so the migration stays as it was when this code changes.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection

from forum.extensions import db

SQLITE_TOKEN = "lower(hex(randomblob(8)))"
# name: (when it fires, which discussions get a new token)
SQLITE_TRIGGERS = {
    "discussion_token_post_insert": ("AFTER INSERT ON posts", "id = new.discussion_id"),
    "discussion_token_post_update": (
        "AFTER UPDATE ON posts",
        "id IN (old.discussion_id, new.discussion_id)",
    ),
    "discussion_token_post_delete": ("AFTER DELETE ON posts", "id = old.discussion_id"),
    "discussion_token_featured_insert": (
        "AFTER INSERT ON featured_posts",
        "id = new.discussion_id",
    ),
    "discussion_token_featured_update": (
        "AFTER UPDATE ON featured_posts",
        "id IN (old.discussion_id, new.discussion_id)",
    ),
    "discussion_token_featured_delete": (
        "AFTER DELETE ON featured_posts",
        "id = old.discussion_id",
    ),
    "discussion_token_author_names": (
        "AFTER UPDATE OF username, display_name ON users "
        "WHEN old.username IS NOT new.username OR old.display_name IS NOT new.display_name",
        "id IN (SELECT discussion_id FROM posts WHERE author_id = new.id)",
    ),
}
# The DDL below is built from this module's constants alone, never from input.
SQLITE_STATEMENTS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS {name} {when} BEGIN "  # nosec B608
    f"UPDATE discussions SET content_token = {SQLITE_TOKEN} WHERE {where}; END"
    for name, (when, where) in SQLITE_TRIGGERS.items()
)

PG_TOKEN = "substr(md5(random()::text || clock_timestamp()::text), 1, 16)"
PG_STATEMENTS = (
    # Posts and featured pins both carry discussion_id: one function serves them.
    "CREATE OR REPLACE FUNCTION forum_discussion_token() RETURNS trigger "  # nosec B608
    "LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN "
    f"UPDATE discussions SET content_token = {PG_TOKEN} WHERE id = OLD.discussion_id; "
    "END IF; "
    "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' "
    "AND NEW.discussion_id IS DISTINCT FROM OLD.discussion_id) THEN "
    f"UPDATE discussions SET content_token = {PG_TOKEN} WHERE id = NEW.discussion_id; "
    "END IF; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION forum_discussion_token_author() RETURNS trigger "  # nosec B608
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"UPDATE discussions SET content_token = {PG_TOKEN} "
    "WHERE id IN (SELECT discussion_id FROM posts WHERE author_id = NEW.id); "
    "RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER discussion_token_post AFTER INSERT OR UPDATE OR DELETE ON posts "
    "FOR EACH ROW EXECUTE FUNCTION forum_discussion_token()",
    "CREATE OR REPLACE TRIGGER discussion_token_featured "
    "AFTER INSERT OR UPDATE OR DELETE ON featured_posts "
    "FOR EACH ROW EXECUTE FUNCTION forum_discussion_token()",
    "CREATE OR REPLACE TRIGGER discussion_token_author_names "
    "AFTER UPDATE OF username, display_name ON users FOR EACH ROW "
    "WHEN (OLD.username IS DISTINCT FROM NEW.username "
    "OR OLD.display_name IS DISTINCT FROM NEW.display_name) "
    "EXECUTE FUNCTION forum_discussion_token_author()",
)


PG_TRIGGERS = (
    ("discussion_token_post", "posts"),
    ("discussion_token_featured", "featured_posts"),
    ("discussion_token_author_names", "users"),
)


def create_token_triggers(connection: Connection, fill: bool = False) -> None:
    """Create the triggers for the connection's database (idempotent); with ``fill``, give
    every discussion with posts a token (rows written while there were no triggers)."""
    dialect = connection.dialect.name
    statements = {"sqlite": SQLITE_STATEMENTS, "postgresql": PG_STATEMENTS}.get(dialect, ())
    for statement in statements:
        connection.exec_driver_sql(statement)
    if fill and statements:
        token = SQLITE_TOKEN if dialect == "sqlite" else PG_TOKEN
        connection.exec_driver_sql(
            f"UPDATE discussions SET content_token = {token} "  # nosec B608: constants
            "WHERE id IN (SELECT DISTINCT discussion_id FROM posts)"
        )


def drop_token_triggers(connection: Connection) -> None:
    """Drop the triggers, for bulk inserts (the benchmark's): ``create_token_triggers(fill=True)``
    after them."""
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif connection.dialect.name == "postgresql":
        for name, table in PG_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON {table}")


@event.listens_for(db.metadata, "after_create")
def _after_create(target, connection, **kwargs) -> None:
    create_token_triggers(connection)
