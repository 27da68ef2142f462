"""posts by state and creation time, for the moderation queue's Pending and Flagged tabs

Revision ID: 60d609d7f47f
Revises: 2962550cd482
Create Date: 2026-11-29 11:21:58.456997

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '60d609d7f47f'
down_revision = '2962550cd482'
branch_labels = None
depends_on = None


def upgrade():
    # A plain CREATE INDEX (no batch): recreating posts on SQLite would drop its search triggers.
    op.create_index('ix_posts_state_created', 'posts', ['state', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_posts_state_created', table_name='posts')
