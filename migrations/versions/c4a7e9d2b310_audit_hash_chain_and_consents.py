"""audit log: hash chain and append-only triggers; the consent register

audit_events.seq / prev_hash / hash: each event carries the hash of the one before (existing
events are chained here, in id order); triggers refuse UPDATE and DELETE of audit_events
(DELETE only inside the retention purge).  consents, consent_scans: the consent register.

Revision ID: c4a7e9d2b310
Revises: 8d8142a61ee5
Create Date: 2026-12-02 09:00:00.000000

"""
import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op

import safetyops.models_base

# revision identifiers, used by Alembic.
revision = 'c4a7e9d2b310'
down_revision = '8d8142a61ee5'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

# The same statements as safetyops/audit/models.py TRIGGER_DDL (kept here as they were at this revision).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('safetyops.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
PG_TRIGGERS = (
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
       FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       WHEN safetyops_audit_purging() IS NOT 1
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
)


def _hash(row, seq, prev):
    created = row.created_dt
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    payload = json.dumps([seq, created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), row.user_id,
                          row.school_id, row.action, row.object_type or "", row.object_id or "", row.source or "",
                          row.detail or "", prev], ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    # Chain the events already there, oldest first.
    conn = op.get_bind()
    events = sa.table('audit_events', sa.column('id', sa.Integer()),
                      sa.column('created_dt', safetyops.models_base.UTCDateTime(timezone=True)),
                      sa.column('user_id', sa.Integer()), sa.column('school_id', sa.Integer()),
                      sa.column('action', sa.String()), sa.column('object_type', sa.String()),
                      sa.column('object_id', sa.String()), sa.column('source', sa.String()),
                      sa.column('detail', sa.Text()), sa.column('seq', sa.BigInteger()),
                      sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()))
    prev, seq = GENESIS, 0
    for row in conn.execute(sa.select(events).order_by(events.c.id)).all():
        seq += 1
        digest = _hash(row, seq, prev)
        conn.execute(events.update().where(events.c.id == row.id).values(seq=seq, prev_hash=prev, hash=digest))
        prev = digest

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])

    if conn.dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for sql in PG_TRIGGERS:
            op.execute(sql)
    elif conn.dialect.name == 'sqlite':
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)

    op.create_table('consent_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_consent_scans_school_id_schools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_scans'))
    )
    with op.batch_alter_table('consent_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_scans_school_id'), ['school_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.Enum('student', 'visitor', 'staff', 'parent', name='subjectkind', native_enum=False, length=40), nullable=False),
    sa.Column('subject_name', sa.String(length=200), nullable=False),
    sa.Column('given_by', sa.String(length=200), nullable=False),
    sa.Column('given_by_relation', sa.String(length=60), nullable=False),
    sa.Column('purpose', sa.Enum('incident_name', 'visitor_photo', 'publication', 'other', name='purpose', native_enum=False, length=40), nullable=False),
    sa.Column('purpose_detail', sa.String(length=300), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('paper_ref', sa.String(length=120), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('gate_entry_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_dt', safetyops.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawal_note', sa.String(length=300), nullable=False),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('withdrawn_on IS NULL OR withdrawn_on >= given_on', name=op.f('ck_consents_withdrawn_after_given')),
    sa.ForeignKeyConstraint(['gate_entry_id'], ['gate_entries.id'], name=op.f('fk_consents_gate_entry_id_gate_entries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['road_incidents.id'], name=op.f('fk_consents_incident_id_road_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_consents_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scan_id'], ['consent_scans.id'], name=op.f('fk_consents_scan_id_consent_scans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_consents_school_id_schools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_consents_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_gate_entry_id'), ['gate_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_consents_school_given', ['school_id', 'given_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_user_id'))
        batch_op.drop_index(batch_op.f('ix_consents_school_id'))
        batch_op.drop_index('ix_consents_school_given')
        batch_op.drop_index(batch_op.f('ix_consents_incident_id'))
        batch_op.drop_index(batch_op.f('ix_consents_gate_entry_id'))
    op.drop_table('consents')
    with op.batch_alter_table('consent_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_scans_school_id'))
    op.drop_table('consent_scans')

    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    elif conn.dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
