"""customer requests and their status history

Requests from customers to customer service (contact details, a service change
or termination, a fault report), one row each with a portal-wide reference,
and the history of their statuses. Three audit events are added to the allowed
names.

Revision ID: dde719100d12
Revises: 98900932a8dc
Create Date: 2026-12-03 08:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dde719100d12'
down_revision = '98900932a8dc'
branch_labels = None
depends_on = None

KINDS = ("contact_details", "service_change", "termination", "fault")
STATUSES = ("received", "in_progress", "done", "rejected", "cancelled")
OLD_EVENTS = (
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
)
NEW_EVENTS = ("request_created", "request_cancelled", "request_status_changed")


def one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _events(values):
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_event'), one_of('event', values))


def _status_column():
    return sa.Column(
        'status',
        sa.Enum(*STATUSES, name='requeststatus', native_enum=False, length=20),
        nullable=False,
    )


def upgrade():
    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=12), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.String(length=40), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum(*KINDS, name='requestkind', native_enum=False, length=20), nullable=False),
    _status_column(),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('customer_text', sa.Text(), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(one_of('kind', KINDS), name=op.f('ck_requests_kind')),
    sa.CheckConstraint(one_of('status', STATUSES), name=op.f('ck_requests_status')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_requests_account_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_requests_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests')),
    sa.UniqueConstraint('account_id', 'idempotency_key', name=op.f('uq_requests_account_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_requests_reference'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requests_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_requests_customer_created', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_requests_queue', ['status', 'kind', 'created_at'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    _status_column(),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=300), nullable=False),
    sa.CheckConstraint(one_of('status', STATUSES), name=op.f('ck_request_events_status')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_events_request_id_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_id'), ['request_id'], unique=False)
    _events(OLD_EVENTS + NEW_EVENTS)


def downgrade():
    op.execute(
        "DELETE FROM audit_events WHERE event IN "
        "('request_created', 'request_cancelled', 'request_status_changed')"
    )
    _events(OLD_EVENTS)
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_events_request_id'))
    op.drop_table('request_events')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_queue')
        batch_op.drop_index('ix_requests_customer_created')
        batch_op.drop_index(batch_op.f('ix_requests_account_id'))
    op.drop_table('requests')
