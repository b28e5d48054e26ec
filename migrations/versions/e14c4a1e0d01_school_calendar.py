"""school calendar: terms, holidays, days off, shortened days, school days

Issue 14: each school's calendar (national holidays come from the `holidays` library, not from a
table); schedules that follow school days, the roster generator and reminders skip non-school days.

Revision ID: e14c4a1e0d01
Revises: 2b2be98f6832
Create Date: 2026-12-01 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

import safetyops.models_base


# revision identifiers, used by Alembic.
revision = 'e14c4a1e0d01'
down_revision = '2b2be98f6832'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('school_calendar',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('term', 'holiday', 'day_off', 'short_day', 'school_day', name='calendarkind', native_enum=False, length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('created_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('last_day >= first_day', name=op.f('ck_school_calendar_days_ordered')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_school_calendar_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school_calendar'))
    )
    with op.batch_alter_table('school_calendar', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_calendar_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('school_calendar', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_calendar_school_id'))
    op.drop_table('school_calendar')
