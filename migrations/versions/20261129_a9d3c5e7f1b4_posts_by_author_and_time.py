"""posts by author and time: the double-submission check read every post of its author in
the place posted to; with the time beside the author it reads only their last minutes

Revision ID: a9d3c5e7f1b4
Revises: f4b2d8e1a7c3
Create Date: 2026-11-29 17:55:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a9d3c5e7f1b4'
down_revision = 'f4b2d8e1a7c3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_author_created', ['author_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_posts_author_id')


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_author_id', ['author_id'], unique=False)
        batch_op.drop_index('ix_posts_author_created')
