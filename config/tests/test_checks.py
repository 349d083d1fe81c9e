"""The site's own system checks: a Redis queue that others could write to, a
metrics token short enough to guess."""

import socket
import subprocess
from pathlib import Path

import pytest
from django.core import checks

from config.checks import check_metrics_token, check_redis_url, is_loopback
from config.tests.test_settings import PRODUCTION, run


def check_deploy(tmp_path: Path, redis_url: str) -> subprocess.CompletedProcess:
    return run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        **PRODUCTION,
        REDIS_URL=redis_url,
    )


def test_check_deploy_warns_about_redis_on_the_network_without_password_or_tls(
    tmp_path,
):
    # A made-up name that never resolves: nothing may connect to it anyway.
    result = check_deploy(tmp_path, "redis://redis.internal.example:6379/0")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "config.W001" in output
    assert "redis.internal.example" in output
    assert "pickle" in output
    assert "rediss://" in output


@pytest.mark.parametrize(
    "redis_url",
    [
        "redis://:secret@redis.internal.example:6379/0",
        "redis://avatars:secret@redis.internal.example:6379/0",
        "rediss://redis.internal.example:6380/0",
        "redis://127.0.0.1:6379/0",
        "redis://127.0.0.2:6379/0",
        "redis://localhost:6379/0",
        "redis://[::1]:6379/0",
        "unix:///run/redis/redis.sock?db=0",
    ],
)
def test_check_deploy_is_clean_with_redis_protected_or_on_this_machine(
    tmp_path, redis_url
):
    result = check_deploy(tmp_path, redis_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "config.W001" not in result.stdout + result.stderr


def test_check_deploy_never_connects_to_redis(tmp_path):
    # A listener that never answers: a client that connected would wait forever
    # for its reply, and the connection would be waiting here to be accepted.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        result = check_deploy(tmp_path, f"redis://:secret@127.0.0.1:{port}/0")
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "host",
    ["localhost", "LOCALHOST.", "127.0.0.1", "127.10.20.30", "::1"],
)
def test_this_machines_own_names_are_loopback(host):
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["10.0.0.5", "192.168.1.1", "::2", "redis", "localhost.example", ""]
)
def test_other_hosts_are_not_loopback(host):
    assert not is_loopback(host)


def test_the_warning_names_the_host_and_the_way_out(settings):
    settings.REDIS_URL = "redis://10.1.2.3:6379/0"

    (warning,) = check_redis_url()

    assert isinstance(warning, checks.Warning)
    assert warning.id == "config.W001"
    assert "10.1.2.3" in warning.msg
    assert "rediss://" in warning.hint and "PASSWORD" in warning.hint


@pytest.mark.parametrize(
    "redis_url",
    [
        None,
        "",
        "redis://10.1.2.3:6379/0?password=secret",
        "unix:///run/redis.sock",
    ],
)
def test_no_warning_without_redis_or_with_a_password_in_the_query(settings, redis_url):
    settings.REDIS_URL = redis_url

    assert check_redis_url() == []


def test_the_check_runs_only_with_deploy():
    registered = checks.registry.registry
    assert check_redis_url in registered.get_checks(include_deployment_checks=True)
    assert check_redis_url not in registered.get_checks(include_deployment_checks=False)


@pytest.mark.parametrize(
    ("token", "warned"),
    [("", False), ("short", True), ("x" * 31, True), ("x" * 32, False)],
)
def test_a_short_metrics_token_is_warned_about(settings, token, warned):
    settings.METRICS_TOKEN = token
    messages = check_metrics_token()
    assert [message.id for message in messages] == (["config.W002"] if warned else [])
