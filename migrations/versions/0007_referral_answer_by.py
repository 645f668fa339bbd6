"""referral answer_by: the deadline of the person texted last

A referral waiting on the end of its escalation chain (the supervisor, or a
focal point without backup) had no deadline (``due_at`` is the escalation
timer) and so was never shown overdue. Waiting referrals take their current
escalation time as their deadline; those already waiting on the end of their
chain keep none (unknown without the directory of their time).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_by', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_referrals_answer_by'), ['answer_by'], unique=False)
    op.execute(
        "UPDATE referrals SET answer_by = due_at"
        " WHERE status IN ('notified', 'escalated') AND due_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_answer_by'))
        batch_op.drop_column('answer_by')
