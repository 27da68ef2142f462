"""the moderation log records a lifted group ban as its own action

Revision ID: b7c2e91f4a63
Revises: 60d609d7f47f
Create Date: 2026-11-29 11:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c2e91f4a63'
down_revision = '60d609d7f47f'
branch_labels = None
depends_on = None

# The moderation log's actions before and after this revision (its CHECK lists them).
OLD_ACTIONS = ('approve', 'reject', 'edit_approve', 'delete', 'hide', 'lock', 'unlock',
               'suspend', 'ban', 'policy', 'group_ban', 'warn', 'acknowledge', 'feature',
               'unfeature', 'edit', 'admin')
NEW_ACTIONS = OLD_ACTIONS + ('group_unban',)


def _actions(values):
    return sa.Enum(*values, name='moderation_action', native_enum=False,
                   create_constraint=True, length=20)


def upgrade():
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=_actions(OLD_ACTIONS),
                              type_=_actions(NEW_ACTIONS), existing_nullable=False)


def downgrade():
    # Lifted bans were logged as administrative changes before this revision.
    op.execute(sa.text(
        "UPDATE moderation_log SET action = 'admin' WHERE action = 'group_unban'"))
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=_actions(NEW_ACTIONS),
                              type_=_actions(OLD_ACTIONS), existing_nullable=False)
