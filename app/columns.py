"""Column types and constraint helpers the models share."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def value_enum(enum_class: type[enum.Enum]) -> Enum:
    """Store an enum by its value, as a plain string column (portable, readable in SQL)."""
    return Enum(
        enum_class, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
    )


def one_of(column: str, allowed: type[enum.Enum]) -> str:
    """SQL for a check constraint that ``column`` holds one of an enum's values.

    The models build their constraints from the same enums the code uses, so
    the allowed values have one source; a migration copies the list as it was
    then (history does not change), and a test checks that a migrated
    database accepts every value the code knows.
    """
    values = ", ".join(f"'{member.value}'" for member in allowed)
    return f"{column} IN ({values})"
