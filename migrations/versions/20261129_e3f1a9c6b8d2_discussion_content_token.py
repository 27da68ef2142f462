"""discussions carry a content token the database changes with anything their thread shows

Revision ID: e3f1a9c6b8d2
Revises: c5e8a1d3f706
Create Date: 2026-11-29 14:30:00

The triggers are written out here (not imported from forum.discussions.versions) so this
migration stays as it was when later code changes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3f1a9c6b8d2'
down_revision = 'c5e8a1d3f706'
branch_labels = None
depends_on = None

SQLITE_TOKEN = "lower(hex(randomblob(8)))"
PG_TOKEN = "substr(md5(random()::text || clock_timestamp()::text), 1, 16)"
SQLITE_TRIGGERS = {
    "discussion_token_post_insert": ("AFTER INSERT ON posts", "id = new.discussion_id"),
    "discussion_token_post_update": (
        "AFTER UPDATE ON posts", "id IN (old.discussion_id, new.discussion_id)"
    ),
    "discussion_token_post_delete": ("AFTER DELETE ON posts", "id = old.discussion_id"),
    "discussion_token_featured_insert": (
        "AFTER INSERT ON featured_posts", "id = new.discussion_id"
    ),
    "discussion_token_featured_update": (
        "AFTER UPDATE ON featured_posts", "id IN (old.discussion_id, new.discussion_id)"
    ),
    "discussion_token_featured_delete": (
        "AFTER DELETE ON featured_posts", "id = old.discussion_id"
    ),
    "discussion_token_author_names": (
        "AFTER UPDATE OF username, display_name ON users "
        "WHEN old.username IS NOT new.username OR old.display_name IS NOT new.display_name",
        "id IN (SELECT discussion_id FROM posts WHERE author_id = new.id)",
    ),
}
PG_STATEMENTS = (
    "CREATE OR REPLACE FUNCTION forum_discussion_token() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN "
    f"UPDATE discussions SET content_token = {PG_TOKEN} WHERE id = OLD.discussion_id; "
    "END IF; "
    "IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' "
    "AND NEW.discussion_id IS DISTINCT FROM OLD.discussion_id) THEN "
    f"UPDATE discussions SET content_token = {PG_TOKEN} WHERE id = NEW.discussion_id; "
    "END IF; RETURN NULL; END $$",
    "CREATE OR REPLACE FUNCTION forum_discussion_token_author() RETURNS trigger "
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


def upgrade():
    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_token', sa.String(length=16), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name, (when, where) in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} BEGIN "
                f"UPDATE discussions SET content_token = {SQLITE_TOKEN} WHERE {where}; END"
            )
        token = SQLITE_TOKEN
    elif dialect == "postgresql":
        for statement in PG_STATEMENTS:
            op.execute(statement)
        token = PG_TOKEN
    else:
        return
    # Threads written before: each gets a token of its own.
    op.execute(
        f"UPDATE discussions SET content_token = {token} "
        "WHERE id IN (SELECT DISTINCT discussion_id FROM posts)"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS discussion_token_post ON posts")
        op.execute("DROP TRIGGER IF EXISTS discussion_token_featured ON featured_posts")
        op.execute("DROP TRIGGER IF EXISTS discussion_token_author_names ON users")
        op.execute("DROP FUNCTION IF EXISTS forum_discussion_token()")
        op.execute("DROP FUNCTION IF EXISTS forum_discussion_token_author()")
    # SQLite (3.35 and later) drops the column in place; rebuilding the table in batch mode
    # failed on a populated database ("database table is locked").
    op.drop_column('discussions', 'content_token')
