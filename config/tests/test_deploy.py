"""The systemd units in deploy/systemd run the Procfile's lines, unchanged."""

import re
from pathlib import Path

import pytest

from testing.processes import BASE_DIR, procfile_command

SYSTEMD = BASE_DIR / "deploy" / "systemd"
UNITS = {"web": "avatars-web.service", "worker": "avatars-worker.service"}


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's settings as "Section.Key" -> its values, in order."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in (SYSTEMD / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        assert not line.endswith("\\"), "no continued lines: this parser reads one"
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


def shell_line(command: str) -> str:
    """`/bin/sh -c 'exec LINE'` -> LINE as the shell gets it from systemd.

    Inside the quotes systemd would still expand $VARIABLES and %specifiers and
    unescape backslashes: the line may hold none of those, only "$$", systemd's
    escape for a "$" the shell then expands.
    """
    prefix, suffix = "/bin/sh -c 'exec ", "'"
    assert command.startswith(prefix) and command.endswith(suffix), command
    line = command[len(prefix) : -len(suffix)]
    assert not set("'\\%") & set(line), line
    assert "$" not in line.replace("$$", ""), f"a lone $ in: {line}"
    return line.replace("$$", "$")


@pytest.mark.parametrize("process", UNITS)
def test_each_unit_runs_its_procfile_line_and_always_restarts(process):
    settings = unit(UNITS[process])

    [command] = settings["Service.ExecStart"]
    assert shell_line(command) == procfile_command(process)
    assert settings["Service.Restart"] == ["always"]
    assert settings["Service.Type"][0] in {"exec", "simple"}
    assert settings["Service.User"] == ["avatars"]
    assert settings["Service.WorkingDirectory"] == ["/srv/avatars"]
    assert settings["Service.EnvironmentFile"] == ["/etc/avatars/avatars.env"]
    assert "PATH=/srv/avatars/.venv/bin:" in " ".join(settings["Service.Environment"])


def test_web_unit_migrates_and_collects_static_files_before_it_starts():
    commands = [shell_line(line) for line in unit(UNITS["web"])["Service.ExecStartPre"]]

    # The release line, then the build step (as `make static` runs it).
    assert commands == [
        procfile_command("release"),
        "python manage.py collectstatic --noinput --verbosity 0",
    ]


def test_worker_unit_gives_running_tasks_their_shutdown_timeout():
    settings = unit(UNITS["worker"])
    worker = procfile_command("worker")
    timeout = re.search(
        r"--shutdown-timeout \$\{HUEY_SHUTDOWN_TIMEOUT:-(\d+)\}", worker
    )
    assert timeout is not None, worker
    assert "--graceful-signal TERM" in worker

    assert settings["Service.KillSignal"] == ["SIGTERM"]
    stop = int(settings["Service.TimeoutStopSec"][0])
    assert int(timeout[1]) < stop <= int(timeout[1]) + 30


def test_units_may_write_to_the_data_folder_of_the_example_environment():
    lines = (SYSTEMD / "avatars.env.example").read_text().splitlines()
    env = dict(
        line.split("=", 1) for line in lines if line and not line.startswith("#")
    )

    assert env["DJANGO_DEBUG"] == "0"
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= env.keys()
    assert env["BIND_HOST"] == "127.0.0.1"
    for name in UNITS.values():
        settings = unit(name)
        assert settings["Service.ReadWritePaths"] == [env["DATA_DIR"]]
        assert settings["Service.NoNewPrivileges"] == ["yes"]


def test_the_sites_own_javascript_stays_under_50_kb_gzipped():
    """Every script a page loads beyond htmx (django-htmx ships that one),
    allauth's WebAuthn scripts included (base.html loads them everywhere)."""
    import gzip

    from django.contrib.staticfiles import finders

    scripts = sorted((BASE_DIR / "static" / "js").glob("*.js"))
    allauth = [
        Path(finders.find(f"mfa/js/{name}"))
        for name in ("webauthn-json.js", "webauthn.js")
    ]
    total = sum(len(gzip.compress(p.read_bytes())) for p in scripts + allauth)

    assert {path.name for path in scripts} == {
        "photo-picker.js",
        "site.js",
        "passkeys.js",
    }
    assert total < 50 * 1024


def test_backup_unit_runs_the_backup_command_with_retention_in_a_folder_it_may_write():
    settings = unit("avatars-backup.service")
    env = dict(
        line.split("=", 1)
        for line in (SYSTEMD / "avatars.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )

    [command] = settings["Service.ExecStart"]
    words = shell_line(command).split()
    assert words[:3] == ["python", "manage.py", "backup"]
    backups = words[3]
    assert "--dated" in words and words[words.index("--keep-days") + 1] == (
        "${BACKUP_KEEP_DAYS:-14}"
    )
    assert settings["Service.Type"] == ["oneshot"]
    assert settings["Service.User"] == ["avatars"]
    assert settings["Service.WorkingDirectory"] == ["/srv/avatars"]
    assert settings["Service.EnvironmentFile"] == ["/etc/avatars/avatars.env"]
    assert settings["Service.ReadWritePaths"] == [f"{env['DATA_DIR']} {backups}"]
    assert settings["Service.NoNewPrivileges"] == ["yes"]


def test_backup_timer_starts_the_backup_nightly_and_catches_up_missed_nights():
    settings = unit("avatars-backup.timer")

    assert settings["Timer.Unit"] == ["avatars-backup.service"]
    [calendar] = settings["Timer.OnCalendar"]
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:00", calendar)
    assert settings["Timer.Persistent"] == ["true"]
    assert settings["Timer.RandomizedDelaySec"]
    assert settings["Install.WantedBy"] == ["timers.target"]
