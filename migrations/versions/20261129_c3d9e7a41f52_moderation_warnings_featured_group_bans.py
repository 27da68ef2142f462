"""moderation: warnings to acknowledge, featured posts, bans from one group, new log actions,
and indexes so the queue's counts read only the posts in the queue

Revision ID: c3d9e7a41f52
Revises: b67ea55d8eae
Create Date: 2026-11-29 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d9e7a41f52'
down_revision = 'b67ea55d8eae'
branch_labels = None
depends_on = None

OLD_ACTIONS = ('approve', 'reject', 'edit_approve', 'delete', 'hide', 'lock', 'unlock',
               'suspend', 'ban', 'policy')
NEW_ACTIONS = OLD_ACTIONS + ('group_ban', 'warn', 'acknowledge', 'feature', 'unfeature', 'edit')


def _actions(values):
    return sa.Enum(*values, name='moderation_action', native_enum=False,
                   create_constraint=True, length=20)


def upgrade():
    op.create_table('moderation_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('moderator_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_moderation_warnings_group_id_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['moderator_id'], ['users.id'], name=op.f('fk_moderation_warnings_moderator_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_moderation_warnings_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_moderation_warnings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_warnings'))
    )
    with op.batch_alter_table('moderation_warnings', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_warnings_user_open', ['user_id', 'acknowledged_at'], unique=False)

    op.create_table('featured_posts',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('discussion_id', sa.Integer(), nullable=False),
    sa.Column('featured_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['discussion_id'], ['discussions.id'], name=op.f('fk_featured_posts_discussion_id_discussions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['featured_by_id'], ['users.id'], name=op.f('fk_featured_posts_featured_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_featured_posts_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_featured_posts'))
    )
    with op.batch_alter_table('featured_posts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_featured_posts_discussion_id'), ['discussion_id'], unique=False)

    with op.batch_alter_table('penalties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_penalties_group_id_groups'), 'groups', ['group_id'], ['id'], ondelete='CASCADE')

    # The log's CHECK on its actions takes the new ones.
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=_actions(OLD_ACTIONS),
                              type_=_actions(NEW_ACTIONS), existing_nullable=False)

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_open', ['post_id'], unique=False, sqlite_where=sa.text('resolved_at IS NULL'), postgresql_where=sa.text('resolved_at IS NULL'))

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_state_moderated', ['state', 'moderated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_state_moderated')

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_open', sqlite_where=sa.text('resolved_at IS NULL'), postgresql_where=sa.text('resolved_at IS NULL'))

    # Rows of the new kinds would break the old CHECK: they go first.
    op.execute(sa.text("DELETE FROM moderation_log WHERE action IN "
                       "('group_ban', 'warn', 'acknowledge', 'feature', 'unfeature', 'edit')"))
    with op.batch_alter_table('moderation_log', schema=None) as batch_op:
        batch_op.alter_column('action', existing_type=_actions(NEW_ACTIONS),
                              type_=_actions(OLD_ACTIONS), existing_nullable=False)

    op.execute(sa.text("DELETE FROM penalties WHERE group_id IS NOT NULL"))
    with op.batch_alter_table('penalties', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_penalties_group_id_groups'), type_='foreignkey')
        batch_op.drop_column('group_id')

    with op.batch_alter_table('featured_posts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_featured_posts_discussion_id'))

    op.drop_table('featured_posts')
    with op.batch_alter_table('moderation_warnings', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_warnings_user_open')

    op.drop_table('moderation_warnings')
