"""import history and removed customers

Snapshot imports remove what billing no longer has: customers keep their row
with ``removed_at`` (never linked nor shown), services are deleted. Every
import and refusal gets a row in ``import_runs``; customers remember the last
import that had them. Two audit events are added to the allowed names.

Revision ID: b5e2d4c81f07
Revises: 7a3c0e9d2b41
Create Date: 2026-12-03 07:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e2d4c81f07'
down_revision = '7a3c0e9d2b41'
branch_labels = None
depends_on = None

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
)
EVENTS = OLD_EVENTS + ("import_ok", "import_refused")


def one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _events(values):
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_event'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_event'), one_of('event', values))


def upgrade():
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.Enum('snapshot', 'delta', name='importmode', native_enum=False, length=20), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=500), nullable=False),
    sa.CheckConstraint("mode IN ('snapshot', 'delta')", name=op.f('ck_import_runs_mode')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_runs_occurred_at'), ['occurred_at'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_import_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_customers_last_import_id_import_runs'), 'import_runs', ['last_import_id'], ['id'], ondelete='SET NULL')
    _events(EVENTS)


def downgrade():
    # Without the column, a removed customer would be shown again: it goes.
    op.execute("DELETE FROM customers WHERE removed_at IS NOT NULL")
    op.execute("DELETE FROM audit_events WHERE event IN ('import_ok', 'import_refused')")
    _events(OLD_EVENTS)
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_last_import_id_import_runs'), type_='foreignkey')
        batch_op.drop_column('last_import_id')
        batch_op.drop_column('removed_at')

    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_runs_occurred_at'))

    op.drop_table('import_runs')
