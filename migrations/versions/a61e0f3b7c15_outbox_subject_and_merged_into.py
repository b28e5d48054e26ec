"""outbox: subject (one message per person per event) and merged_into_id

Revision ID: a61e0f3b7c15
Revises: f2374010d305
Create Date: 2026-12-01 08:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a61e0f3b7c15'
down_revision = 'f2374010d305'
branch_labels = None
depends_on = None


def upgrade():
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
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_messages_user_subject')
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_merged_into_id_outbound_messages'),
                                 type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('subject')
