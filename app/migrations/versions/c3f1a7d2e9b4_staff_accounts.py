"""staff accounts for the customer-service desk; staff as actors in the audit trail

Staff are a kind of account of their own (password + TOTP), so they get their
own table; the audit trail names the acting staff member in ``staff_id`` and
knows the staff events (the allowed names copied here as they are today).

Revision ID: c3f1a7d2e9b4
Revises: dde719100d12
Create Date: 2026-12-03 08:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3f1a7d2e9b4'
down_revision = 'dde719100d12'
branch_labels = None
depends_on = None

EVENTS = (
    "login_ok",
    "login_failed",
    "locked",
    "identification_ok",
    "identification_failed",
    "account_created",
    "password_changed",
    "terms_accepted",
    "logout",
    "sessions_ended",
    "data_exported",
    "account_closed",
    "import_ok",
    "import_refused",
    "request_created",
    "request_cancelled",
    "request_status_changed",
)
STAFF_EVENTS = (
    "staff_added",
    "staff_removed",
    "staff_enrolled",
    "staff_login_ok",
    "staff_login_failed",
    "staff_locked",
    "staff_logout",
    "staff_queue_viewed",
    "staff_request_viewed",
    "staff_lookup",
)


def one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    op.create_table('staff_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('totp_secret', sa.String(length=64), nullable=False),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('setup_nonce', sa.String(length=64), nullable=True),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_accounts_email'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_events_staff_id'), ['staff_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_audit_events_staff_id_staff_accounts'),
            'staff_accounts', ['staff_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.drop_constraint(op.f('ck_audit_events_event'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_audit_events_event'), one_of('event', EVENTS + STAFF_EVENTS)
        )


def downgrade():
    op.execute(
        sa.text(f"DELETE FROM audit_events WHERE {one_of('event', STAFF_EVENTS)}")
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_event'), one_of('event', EVENTS))
        batch_op.drop_constraint(
            batch_op.f('fk_audit_events_staff_id_staff_accounts'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_audit_events_staff_id'))
        batch_op.drop_column('staff_id')
    op.drop_table('staff_accounts')
