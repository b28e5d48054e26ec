"""sms routes: each school's SMS gateway (console / twilio / smpp) and Latin letters for reminders

Issue 16: an in-country SMS route (SMPP 3.4) chosen per school, and optional transliteration of
non-urgent texts (GSM-7: 160 characters per SMS instead of 70).

Revision ID: 5d3e8a1c9b47
Revises: 2b2be98f6832
Create Date: 2026-12-01 11:05:00.000000

"""
import sqlalchemy as sa
from alembic import op

import safetyops.models_base


# revision identifiers, used by Alembic.
revision = '5d3e8a1c9b47'
down_revision = '2b2be98f6832'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('latin', sa.Boolean(), nullable=False),
    sa.Column('updated_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_sms_routes_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_routes'))
    )
    with op.batch_alter_table('sms_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_routes_school_id'), ['school_id'], unique=True)


def downgrade():
    with op.batch_alter_table('sms_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_routes_school_id'))
    op.drop_table('sms_routes')
