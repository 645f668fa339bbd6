"""partial index on referrals waiting without an answer deadline

The sweeper dates them every 30 s (referrals already waiting when 0007 added
``answer_by``); the index holds only those rows, so once dated the query reads
an empty index instead of every waiting referral.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 20:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UNDATED = "answer_by IS NULL AND notified_at IS NOT NULL AND status IN ('notified', 'escalated')"


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_undated', ['notified_at'], unique=False, postgresql_where=sa.text(UNDATED), sqlite_where=sa.text(UNDATED))


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_undated', postgresql_where=sa.text(UNDATED), sqlite_where=sa.text(UNDATED))
