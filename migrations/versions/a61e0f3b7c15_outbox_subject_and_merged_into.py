"""outbox: subject (one message per person per event), merged_into_id; schools' SMS budgets

Revision ID: a61e0f3b7c15
Revises: f2374010d305
Create Date: 2026-12-01 08:05:00

"""
import sqlalchemy as sa
from alembic import op

import safetyops.models_base

# revision identifiers, used by Alembic.
revision = 'a61e0f3b7c15'
down_revision = 'f2374010d305'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('monthly_som', sa.Integer(), nullable=False),
    sa.Column('updated_dt', safetyops.models_base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sms_budgets_school_id_schools'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_budgets'))
    )
    with op.batch_alter_table('sms_budgets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_budgets_school_id'), ['school_id'], unique=True)
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbound_messages_merged_into_id_outbound_messages'),
                                    'outbound_messages', ['merged_into_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_outbound_messages_user_subject', ['user_id', 'subject', 'created_dt'],
                              unique=False)
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('subject', server_default=None)


def downgrade():
    with op.batch_alter_table('sms_budgets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_budgets_school_id'))
    op.drop_table('sms_budgets')
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_messages_user_subject')
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_merged_into_id_outbound_messages'),
                                 type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('subject')
