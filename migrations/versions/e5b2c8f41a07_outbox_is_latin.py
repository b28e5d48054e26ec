"""outbox: is_latin, whether a message's SMS go in Latin letters (Telegram rows keep the text)

Issue 16: a school's "reminders in Latin letters" (or a broadcast ticked so) is for SMS only:
Telegram costs nothing per part and keeps the original text; the SMS that follows a Telegram
message, or that a row becomes when the person unlinked, is transliterated.

Revision ID: e5b2c8f41a07
Revises: b445d17379dd
Create Date: 2026-12-02 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5b2c8f41a07'
down_revision = 'b445d17379dd'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_latin', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('is_latin', server_default=None)


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('is_latin')
