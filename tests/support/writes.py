"""Count what a request writes: SQL statements through SQLAlchemy, commands on Redis.

Shared by the write-count tests and ``make bench`` (SQL statements per page).
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import event

WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
#: Redis commands that only read; anything else on the database counts as a write.
REDIS_READS = frozenset(
    {
        "GET",
        "MGET",
        "EXISTS",
        "TTL",
        "PTTL",
        "PING",
        "ECHO",
        "SELECT",
        "CLIENT",
        "HELLO",
        "INFO",
        "TYPE",
        "STRLEN",
        "HGET",
        "HGETALL",
        "HMGET",
        "SCAN",
        "KEYS",
        "ZCARD",
        "ZCOUNT",
        "ZRANGE",
        "ZRANGEBYSCORE",
        "LRANGE",
        "LLEN",
        "SCARD",
        "SMEMBERS",
        "EVALSHA_RO",
        "DBSIZE",
    }
)


@dataclass
class Statements:
    """Every SQL statement sent while counting, in order."""

    sent: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.sent if s.lstrip().upper().startswith(WRITE_PREFIXES)]

    @property
    def reads(self) -> list[str]:
        return [s for s in self.sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]

    def clear(self) -> None:
        self.sent.clear()


@contextlib.contextmanager
def sql_statements(engine) -> Iterator[Statements]:
    """Record the statements ``engine`` executes (transaction control is not a statement)."""
    seen = Statements()

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        seen.sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@dataclass
class RedisCommands:
    commands: list[list[str]] = field(default_factory=list)

    @property
    def writes(self) -> list[list[str]]:
        return [c for c in self.commands if c and c[0].upper() not in REDIS_READS]


@contextlib.contextmanager
def redis_commands(url: str, timeout: float = 10.0) -> Iterator[RedisCommands]:
    """Every command sent to ``url``'s database while the block runs (Redis MONITOR).

    On leaving, a marker ECHO is sent and the monitor waits for it (bounded), so
    every command of the block has been seen; no sleeping.
    """
    import redis

    client = redis.Redis.from_url(url)
    index = client.connection_pool.connection_kwargs.get("db", 0)
    seen = RedisCommands()
    marker = f"selfie-monitor-{uuid.uuid4().hex}"
    ready, done = threading.Event(), threading.Event()

    def watch() -> None:
        with client.monitor() as monitor:
            ready.set()
            for item in monitor.listen():
                if item.get("db") != index:
                    continue
                parts = item["command"].split()
                if len(parts) > 1 and parts[0].upper() == "ECHO" and marker in parts[1]:
                    done.set()
                    return
                seen.commands.append(parts)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    assert ready.wait(timeout), "Redis MONITOR did not start"
    try:
        yield seen
    finally:
        client.echo(marker)
        assert done.wait(timeout), "Redis MONITOR did not see the marker"
        thread.join(timeout)
        client.close()
