"""The full-text index: no model of its own, but structures beside the articles and posts.

SQLite keeps two FTS5 tables over the rows' text (external content: the text is stored once,
in ``articles`` and ``posts``), kept current by triggers, so every write path (services, the
importer, the benchmark's bulk inserts) is indexed without remembering to. PostgreSQL keeps
each post's ``tsvector`` in a stored generated column (``posts.search_vector``, computed by the
database on every write, so ranking never parses a post's text again) with a GIN index on it,
the articles' vector (``articles.search_vector``, title and text) stored and indexed the same
way, and their title's (``articles.title_vector``, what they are ranked by) stored too.

The structures are created with the tables (``db.create_all`` in tests and the benchmark) and
by the search migration; ``ignore_in_autogenerate`` keeps Alembic from proposing to drop them.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection

from forum.extensions import db

# One configuration, named literally: the index is used only when a query's expression is the
# same as the index's, and a bound parameter in its place would not be.
PG_CONFIG = "'english'::regconfig"
PG_POST_VECTOR = f"to_tsvector({PG_CONFIG}, body_md)"
PG_POST_COLUMN = "search_vector"
PG_ARTICLE_VECTOR = f"to_tsvector({PG_CONFIG}, title || ' ' || body_md)"
# Stored too: on a small site the planner reads every article rather than the index, and
# parsing each article's text on every search cost 100 ms for a hundred articles.
PG_ARTICLE_COLUMN = "search_vector"
# Articles are ranked by their title: its vector is stored too, so ranking a common word's
# 1,500 matching articles reads it instead of parsing every title again (14 ms to 3 ms).
PG_TITLE_COLUMN = "title_vector"
PG_TITLE_VECTOR = f"to_tsvector({PG_CONFIG}, title)"

SQLITE_TABLES = ("posts_search", "articles_search")
# FTS5 keeps its index in shadow tables named after the virtual table.
SQLITE_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
PG_INDEXES = ("ix_posts_search", "ix_articles_search")
# Porter stemming ("sanctioned" finds "sanctions"), accents ignored; search snippets use it too.
FTS5_TOKENIZER = "tokenize='porter unicode61 remove_diacritics 2'"


def _fts_triggers(table: str, index: str, columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    # DDL built from this module's constant table and column names, never from input.
    remove = f"INSERT INTO {index}({index}, rowid, {names}) VALUES ('delete', old.id, {old});"  # nosec B608
    add = f"INSERT INTO {index}(rowid, {names}) VALUES (new.id, {new});"  # nosec B608
    return [
        f"CREATE TRIGGER IF NOT EXISTS {index}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_update AFTER UPDATE OF {names} ON {table} "
        f"BEGIN {remove} {add} END",
    ]


def _sqlite_statements() -> list[str]:
    return [
        "CREATE VIRTUAL TABLE IF NOT EXISTS posts_search USING fts5("
        f"body_md, content='posts', content_rowid='id', {FTS5_TOKENIZER})",
        "CREATE VIRTUAL TABLE IF NOT EXISTS articles_search USING fts5("
        f"title, body_md, content='articles', content_rowid='id', {FTS5_TOKENIZER})",
        *_fts_triggers("posts", "posts_search", ("body_md",)),
        *_fts_triggers("articles", "articles_search", ("title", "body_md")),
        # Rows written before the index existed (an upgrade of a populated database).
        "INSERT INTO posts_search(posts_search) VALUES ('rebuild')",
        "INSERT INTO articles_search(articles_search) VALUES ('rebuild')",
    ]


def _postgresql_statements() -> list[str]:
    return [
        f"ALTER TABLE posts ADD COLUMN IF NOT EXISTS {PG_POST_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({PG_POST_VECTOR}) STORED",
        f"CREATE INDEX IF NOT EXISTS ix_posts_search ON posts USING gin ({PG_POST_COLUMN})",
        f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS {PG_TITLE_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({PG_TITLE_VECTOR}) STORED",
        f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS {PG_ARTICLE_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({PG_ARTICLE_VECTOR}) STORED",
        "CREATE INDEX IF NOT EXISTS ix_articles_search ON articles "
        f"USING gin ({PG_ARTICLE_COLUMN})",
    ]


def create_search_index(connection: Connection) -> None:
    """Create the index structures for the connection's database (idempotent)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statements = _sqlite_statements()
    elif dialect == "postgresql":
        statements = _postgresql_statements()
    else:
        return
    for statement in statements:
        connection.exec_driver_sql(statement)


def drop_search_index(connection: Connection) -> None:
    dialect = connection.dialect.name
    if dialect == "sqlite":
        for index in SQLITE_TABLES:
            for suffix in ("insert", "delete", "update"):
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {index}_{suffix}")
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {index}")
    elif dialect == "postgresql":
        for name in PG_INDEXES:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def is_search_structure(name: str | None) -> bool:
    """Whether a reflected table or index name belongs to the search index."""
    if not name:
        return False
    if name in PG_INDEXES:
        return True
    return any(name == table or name.startswith(table + "_") for table in SQLITE_TABLES)


@event.listens_for(db.metadata, "after_create")
def _after_create(target, connection, **kwargs) -> None:
    create_search_index(connection)


@event.listens_for(db.metadata, "before_drop")
def _before_drop(target, connection, **kwargs) -> None:
    drop_search_index(connection)


def _ignore_in_autogenerate() -> None:
    """Alembic sees the FTS tables, the expression indexes and the stored vector column but not
    their definitions here; drop proposals for them are removed from what `forum db migrate`
    and the migration test compare."""
    from alembic.autogenerate import comparators
    from alembic.operations import ops
    from alembic.util import DispatchPriority, PriorityDispatchResult

    def is_ours(op) -> bool:
        if isinstance(op, ops.DropTableOp):
            return is_search_structure(op.table_name)
        if isinstance(op, ops.DropIndexOp):
            return is_search_structure(op.index_name)
        if isinstance(op, ops.DropColumnOp):
            return (op.table_name, op.column_name) in (
                ("posts", PG_POST_COLUMN),
                ("articles", PG_TITLE_COLUMN),
                ("articles", PG_ARTICLE_COLUMN),
            )
        if isinstance(op, ops.ModifyTableOps):
            op.ops[:] = [inner for inner in op.ops if not is_ours(inner)]
            return not op.ops
        return False

    # Last, so it sees what the table comparisons proposed.
    @comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
    def _forget_search_structures(autogen_context, upgrade_ops, schemas):
        upgrade_ops.ops[:] = [op for op in upgrade_ops.ops if not is_ours(op)]
        return PriorityDispatchResult.CONTINUE


_ignore_in_autogenerate()
