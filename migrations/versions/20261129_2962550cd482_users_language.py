"""users' chosen language, for their pages and emails

Revision ID: 2962550cd482
Revises: ad80e336f413
Create Date: 2026-11-29 11:11:43.807686

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2962550cd482'
down_revision = 'ad80e336f413'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: members who never chose keep following their browser.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
