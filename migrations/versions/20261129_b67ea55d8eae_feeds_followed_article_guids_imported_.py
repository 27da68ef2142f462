"""feeds followed, article guids, imported comments and unclaimed accounts

Revision ID: b67ea55d8eae
Revises: 0529df296239
Create Date: 2026-11-29 08:31:16.289603

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b67ea55d8eae'
down_revision = '0529df296239'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('etag', sa.String(length=300), nullable=True),
    sa.Column('last_modified', sa.String(length=100), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=False),
    sa.Column('last_failed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feeds')),
    sa.UniqueConstraint('url', name=op.f('uq_feeds_url'))
    )
    op.create_table('unclaimed_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_unclaimed_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_unclaimed_accounts'))
    )
    with op.batch_alter_table('unclaimed_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unclaimed_accounts_email'), ['email'], unique=False)

    op.create_table('imported_comments',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('remote_id', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_imported_comments_article_id_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_imported_comments_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_imported_comments')),
    sa.UniqueConstraint('article_id', 'remote_id', name=op.f('uq_imported_comments_article_id_remote_id'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guid', sa.String(length=1000), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_source_url'), ['source_url'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_articles_guid'), ['guid'])


def downgrade():
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_articles_guid'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_articles_source_url'))
        batch_op.drop_column('guid')

    op.drop_table('imported_comments')
    with op.batch_alter_table('unclaimed_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unclaimed_accounts_email'))

    op.drop_table('unclaimed_accounts')
    op.drop_table('feeds')
