"""Telegram as a free channel: linked chats, one-time link tokens, updates applied; outbox fallback_of_id
and read_dt; preferences' telegram_mode (issue 16)

Revision ID: 7e1a9c3f5b20
Revises: 2b2be98f6832
Create Date: 2026-12-01 11:00:00

"""
import sqlalchemy as sa
from alembic import op

import safetyops.models_base

# revision identifiers, used by Alembic.
revision = '7e1a9c3f5b20'
down_revision = '2b2be98f6832'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('telegram_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('linked_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_telegram_links_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_links')),
    sa.UniqueConstraint('chat_id', name=op.f('uq_telegram_links_chat_id')),
    sa.UniqueConstraint('user_id', name=op.f('uq_telegram_links_user_id'))
    )
    op.create_table('telegram_link_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_telegram_link_tokens_school_id_schools'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_telegram_link_tokens_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_link_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_telegram_link_tokens_token_hash'))
    )
    with op.batch_alter_table('telegram_link_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_link_tokens_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telegram_link_tokens_user_id'), ['user_id'], unique=False)
    op.create_table('telegram_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('received_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_updates')),
    sa.UniqueConstraint('update_id', name=op.f('uq_telegram_updates_update_id'))
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fallback_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('read_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbound_messages_fallback_of_id_outbound_messages'),
                                    'outbound_messages', ['fallback_of_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_outbound_messages_fallback_of_id'), ['fallback_of_id'], unique=False)
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_mode', sa.Enum('sms', 'telegram', 'both', name='telegrammode',
                                                               native_enum=False, length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('telegram_mode')
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_messages_fallback_of_id'))
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_fallback_of_id_outbound_messages'),
                                 type_='foreignkey')
        batch_op.drop_column('read_dt')
        batch_op.drop_column('fallback_of_id')
    op.drop_table('telegram_updates')
    with op.batch_alter_table('telegram_link_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_link_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_telegram_link_tokens_school_id'))
    op.drop_table('telegram_link_tokens')
    op.drop_table('telegram_links')
