"""contract guards and road-safety teaching materials

contract_guards: the guards (members of staff with the guard role) employed by the security
company of a contract_security document; the gate phone offers them when the shift changes.
road_materials: the road-safety teaching materials a school keeps.

Revision ID: a3c51d7f2e90
Revises: 2b2be98f6832
Create Date: 2026-12-01 11:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a3c51d7f2e90'
down_revision = '2b2be98f6832'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contract_guards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_contract_guards_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_contract_guards_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contract_guards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_guards')),
    sa.UniqueConstraint('document_id', 'user_id', name=op.f('uq_contract_guards_document_id_user_id'))
    )
    with op.batch_alter_table('contract_guards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_guards_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_guards_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_guards_user_id'), ['user_id'], unique=False)

    op.create_table('road_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('corner', 'poster', 'book', 'video', 'game', 'playground', 'other', name='materialkind', native_enum=False, length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('kept_where', sa.String(length=120), nullable=False),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_road_materials_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_road_materials_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_materials'))
    )
    with op.batch_alter_table('road_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_road_materials_school_id'), ['school_id'], unique=False)


def downgrade():
    with op.batch_alter_table('road_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_road_materials_school_id'))
    op.drop_table('road_materials')
    with op.batch_alter_table('contract_guards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_guards_user_id'))
        batch_op.drop_index(batch_op.f('ix_contract_guards_school_id'))
        batch_op.drop_index(batch_op.f('ix_contract_guards_document_id'))
    op.drop_table('contract_guards')
