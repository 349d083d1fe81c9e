"""What the health check asks, on connections of its own with short timeouts.

The site's own connections wait as long as their clients do: Redis's for ever,
libpq's until the kernel gives up on a silent peer. A platform's health check
that hangs is worse than one that fails, so the check connects afresh to the
database and reads the queue through a client of its own, each bounded by
TIMEOUT_SECONDS, whether the peer refuses, never answers a connection, or goes
silent on an established one.
"""

import contextlib
import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from huey import Huey, PostgresHuey, RedisHuey
from huey.contrib.djhuey import HUEY

TIMEOUT_SECONDS = 2


def postgres_timeouts() -> dict[str, Any]:
    """libpq's: to connect, and for a connection whose peer goes silent."""
    milliseconds = TIMEOUT_SECONDS * 1000
    return {
        "connect_timeout": TIMEOUT_SECONDS,
        "keepalives": 1,
        "keepalives_idle": 1,
        "keepalives_interval": 1,
        "keepalives_count": TIMEOUT_SECONDS,
        "tcp_user_timeout": milliseconds,
        "options": f"-c statement_timeout={milliseconds}",
    }


@contextlib.contextmanager
def bounded_database() -> Iterator[BaseDatabaseWrapper]:
    """A new connection to the site's database, with the timeouts above;
    closed on the way out."""
    database = connections.create_connection(DEFAULT_DB_ALIAS)
    settings = copy.deepcopy(database.settings_dict)
    if database.vendor == "postgresql":
        settings["OPTIONS"].update(postgres_timeouts())
    elif database.vendor == "sqlite":
        settings["OPTIONS"]["timeout"] = TIMEOUT_SECONDS  # a lock's wait
    database.settings_dict = settings
    try:
        yield database
    finally:
        database.close()


def database_answers() -> None:
    """SELECT 1 on a new connection; raises whatever the driver raises."""
    with bounded_database() as database, database.cursor() as cursor:
        cursor.execute("SELECT 1")


@cache
def queue() -> Huey:
    """The site's queue, reached by a client of the health check's own."""
    storage: Any = HUEY.storage
    if isinstance(HUEY, RedisHuey):
        from redis import ConnectionPool

        pool = storage.conn.connection_pool
        bounded = ConnectionPool(
            connection_class=pool.connection_class,
            **{
                **pool.connection_kwargs,
                "socket_connect_timeout": TIMEOUT_SECONDS,
                "socket_timeout": TIMEOUT_SECONDS,
            },
        )
        return RedisHuey(HUEY.name, connection_pool=bounded, blocking=False)
    if isinstance(HUEY, PostgresHuey):
        return PostgresHuey(
            HUEY.name,
            dsn=storage.dsn,
            create_tables=False,
            blocking=False,
            **postgres_timeouts(),
        )
    return HUEY  # a file on this host: nothing to wait for but a lock
