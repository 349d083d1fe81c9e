"""Settings chosen by environment variables alone, checked in fresh processes."""

import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing import services

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "avatars.example.com",
    "EMAIL_HOST": "smtp.example.com",
}


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_", "DATABASE_URL", "REDIS_URL"))
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATA_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def describe(tmp_path: Path, **env: str) -> dict:
    code = (
        "import django, json; django.setup();"
        "from django.conf import settings;"
        "from django.core.files.storage import storages;"
        "from huey.contrib.djhuey import HUEY;"
        "print(json.dumps({'huey': type(HUEY).__name__,"
        "'engine': settings.DATABASES['default']['ENGINE'],"
        "'media': type(storages['default']).__name__,"
        "'uploads_acl': getattr(storages['uploads'], 'default_acl', None),"
        "'media_acl': getattr(storages['default'], 'default_acl', None),"
        "'rate_limits': bool(settings.ACCOUNT_RATE_LIMITS),"
        "'admin_require_mfa': settings.ADMIN_REQUIRE_MFA}))"
    )
    result = run(["-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_without_secret_key_says_which_variable(tmp_path):
    result = run(["manage.py", "check"], tmp_path, DJANGO_DEBUG="0")
    assert result.returncode == 1
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_without_email_host_says_which_variable(tmp_path):
    production = {
        key: value for key, value in PRODUCTION.items() if key != "EMAIL_HOST"
    }
    result = run(["manage.py", "check"], tmp_path, **production)
    assert result.returncode == 1
    assert "EMAIL_HOST is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_is_clean_with_four_variables(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_defaults_are_sqlite_everywhere_and_local_disk(tmp_path):
    assert describe(tmp_path) == {
        "huey": "SqliteHuey",
        "engine": "django.db.backends.sqlite3",
        "media": "AtomicFileSystemStorage",
        "uploads_acl": None,
        "media_acl": None,
        "rate_limits": True,
        "admin_require_mfa": False,
    }


def test_attempt_limits_can_be_turned_off_for_load_tests(tmp_path):
    assert describe(tmp_path, DJANGO_RATE_LIMITS="0")["rate_limits"] is False


def test_production_admin_requires_two_factor_unless_told_not_to(tmp_path):
    assert describe(tmp_path, **PRODUCTION)["admin_require_mfa"] is True
    off = describe(tmp_path, **PRODUCTION, DJANGO_ADMIN_REQUIRE_MFA="0")
    assert off["admin_require_mfa"] is False
    on = describe(tmp_path, DJANGO_ADMIN_REQUIRE_MFA="1")
    assert on["admin_require_mfa"] is True


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A PostgreSQL database of its own (the server is started if it is down)."""
    import psycopg

    services.ensure(
        "PostgreSQL", 5432, services.START_POSTGRES, services.postgres_answers
    )
    name = f"avatars_settings_{uuid.uuid4().hex[:12]}"
    admin = f"{services.POSTGRES_URL}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{services.POSTGRES_URL}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.parametrize(
    ("variables", "huey", "engine"),
    [
        ({"REDIS_URL"}, "RedisHuey", "sqlite3"),
        ({"DATABASE_URL"}, "PostgresHuey", "postgresql"),
        ({"DATABASE_URL", "REDIS_URL"}, "RedisHuey", "postgresql"),
    ],
)
def test_queue_and_database_follow_the_environment(
    tmp_path, database_url, variables, huey, engine
):
    services.ensure("Redis", 6379, services.START_REDIS, services.redis_answers)
    values = {"DATABASE_URL": database_url, "REDIS_URL": services.REDIS_URL}
    described = describe(tmp_path, **{name: values[name] for name in variables})
    assert described["huey"] == huey
    assert described["engine"].endswith(engine)


def test_bucket_moves_media_to_object_storage_originals_private(tmp_path):
    described = describe(
        tmp_path,
        AWS_STORAGE_BUCKET_NAME="avatars",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="y",
    )
    assert described["media"] == "S3Storage"
    assert described["media_acl"] == "public-read"
    assert described["uploads_acl"] == "private"
