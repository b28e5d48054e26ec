"""merge the documents, regulation areas, reports, reunification, Telegram and SMPP heads

Revision ID: b445d17379dd
Revises: 5d3e8a1c9b47, 7e1a9c3f5b20, a3c51d7f2e90, d9dbb7970543, e14c4a1e0d01
Create Date: 2026-12-01 14:35:15.704665

"""
from alembic import op
import sqlalchemy as sa
import safetyops.models_base


# revision identifiers, used by Alembic.
revision = 'b445d17379dd'
down_revision = ('5d3e8a1c9b47', '7e1a9c3f5b20', 'a3c51d7f2e90', 'd9dbb7970543', 'e14c4a1e0d01')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
