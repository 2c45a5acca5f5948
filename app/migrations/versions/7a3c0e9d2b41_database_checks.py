"""database checks: service kind and status, non-negative prices, audit event names

The database keeps its own rules, so a row written past the import (or by a
bug) cannot hold a value the portal does not know. The allowed values are
copied here as they are today: a migration is history and must not change
when the code's enums grow; a new value needs a new migration (a test checks
that the migrated database accepts every value the code knows).

SQLite cannot add a constraint to an existing table: batch mode copies the
table (render_as_batch is on); PostgreSQL gets plain ALTER TABLE statements.

Revision ID: 7a3c0e9d2b41
Revises: 51d1e8205b4e
Create Date: 2026-12-03 06:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7a3c0e9d2b41'
down_revision = '51d1e8205b4e'
branch_labels = None
depends_on = None

KINDS = ("broadband", "tv", "phone", "it")
STATUSES = ("active", "ended")
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
)


def one_of(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_services_kind'), one_of('kind', KINDS))
        batch_op.create_check_constraint(op.f('ck_services_status'), one_of('status', STATUSES))
        batch_op.create_check_constraint(
            op.f('ck_services_monthly_price_not_negative'), 'monthly_price >= 0'
        )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_audit_events_event'), one_of('event', EVENTS))


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_event'), type_='check')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_services_monthly_price_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_services_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_services_kind'), type_='check')
