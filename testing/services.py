"""Run pytest against shared services instead of the embedded defaults.

    python -m testing.services shared [pytest args]
        PostgreSQL database, Redis queue, S3-compatible object storage
    python -m testing.services postgres [pytest args]
        PostgreSQL database and PostgresHuey queue, media on local disk

PostgreSQL and Redis on loopback are started when they are down; under CI=true a
service that cannot be had fails the run, it never skips it. Object storage is
moto's S3-compatible server, started here on a free loopback port with a bucket
of its own. The database, the queue name and the bucket are unique to the run.
"""

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from testing.processes import free_port

POSTGRES_URL = os.environ.get(
    "AVATARS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432"
)
REDIS_URL = os.environ.get("AVATARS_TEST_REDIS", "redis://127.0.0.1:6379/0")
START_POSTGRES = (
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
START_REDIS = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def ensure(name: str, port: int, start: str, answers: Callable[[], bool]) -> None:
    """Make sure a service answers on loopback, starting it if it is down."""
    if port_open(port) and answers():
        return
    print(f"{name} is down; starting it: {start}", file=sys.stderr)
    subprocess.run(start, shell=True, check=False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_open(port) and answers():
            return
        time.sleep(0.2)
    raise SystemExit(
        f"{name} is not running on 127.0.0.1:{port} and could not be started "
        f"with: {start}"
    )


def postgres_answers() -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{POSTGRES_URL}/postgres", connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def redis_answers() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        return False


def start_object_storage(bucket: str) -> tuple[Any, dict[str, str]]:
    import boto3  # type: ignore[import-untyped]  # boto3 ships no types
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    boto3.client(
        "s3",
        endpoint_url=env["AWS_S3_ENDPOINT_URL"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    return server, env


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"shared", "postgres"}:
        print(__doc__, file=sys.stderr)
        return 2
    mode, pytest_args = argv[0], argv[1:]
    run_id = uuid.uuid4().hex[:12]
    ensure("PostgreSQL", 5432, START_POSTGRES, postgres_answers)
    database = f"avatars_test_{run_id}"
    # Made here, not by pytest-django: PostgresHuey connects to it at import.
    postgres_admin(f'CREATE DATABASE "{database}"')
    env = {**os.environ, "DATABASE_URL": f"{POSTGRES_URL}/{database}"}
    env.pop("REDIS_URL", None)
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    storage_server = None
    if mode == "shared":
        if shutil.which("redis-server") or port_open(6379):
            ensure("Redis", 6379, START_REDIS, redis_answers)
        else:
            raise SystemExit("Redis is not installed and not running on 6379")
        env["REDIS_URL"] = REDIS_URL
        storage_server, storage_env = start_object_storage(f"avatars-test-{run_id}")
        env.update(storage_env)
    print(f"--- integration suite on {mode} services ---", flush=True)
    try:
        return subprocess.call(
            [sys.executable, "-m", "pytest", "--reuse-db", *pytest_args], env=env
        )
    finally:
        postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if storage_server is not None:
            storage_server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
