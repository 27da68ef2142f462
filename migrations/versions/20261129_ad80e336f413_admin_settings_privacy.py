"""admin area and privacy: site settings, archived groups, the log's admin action; users'
sign-in address and deletion time

Revision ID: ad80e336f413
Revises: c3d9e7a41f52
Create Date: 2026-11-29 09:01:04.730276

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ad80e336f413'
down_revision = 'c3d9e7a41f52'
branch_labels = None
depends_on = None

# The moderation log's actions before and after this revision (its CHECK lists them).
OLD_ACTIONS = ('approve', 'reject', 'edit_approve', 'delete', 'hide', 'lock', 'unlock',
               'suspend', 'ban', 'policy', 'group_ban', 'warn', 'acknowledge', 'feature',
               'unfeature', 'edit')
NEW_ACTIONS = OLD_ACTIONS + ('admin',)


def _actions(values):
    return sa.Enum(*values, name='moderation_action', native_enum=False,
                   create_constraint=True, length=20)


def upgrade():
    op.create_table('site_settings',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_site_settings'))
    )
    op.create_table('group_archives',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['archived_by_id'], ['users.id'], name=op.f('fk_group_archives_archived_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_archives_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_group_archives'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('last_ip_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_last_ip_at'), ['last_ip_at'], unique=False)

    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=_actions(OLD_ACTIONS),
                              type_=_actions(NEW_ACTIONS), existing_nullable=False)


def downgrade():
    # Admin rows would break the old CHECK: they go first.
    op.execute(sa.text("DELETE FROM moderation_log WHERE action = 'admin'"))
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=_actions(NEW_ACTIONS),
                              type_=_actions(OLD_ACTIONS), existing_nullable=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_last_ip_at'))
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('last_ip_at')
        batch_op.drop_column('last_ip')

    op.drop_table('group_archives')
    op.drop_table('site_settings')
