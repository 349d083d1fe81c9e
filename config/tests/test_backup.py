"""Backups on one host: what a backup holds, what restore refuses, and a site
backed up mid-traffic that works again from a fresh folder."""

import http.client
import json
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import InMemoryStorage, storages
from django.core.management import CommandError, call_command
from django.test import Client
from huey import RedisHuey, SqliteHuey
from huey.contrib.djhuey import HUEY

from avatars import recovery
from avatars.models import Avatar, State
from avatars.storage import thumbnail_names
from config import backup
from config.tests.conftest import Site, production_env, running_site, sign_up
from testing.client import signup
from testing.members import add_members
from testing.processes import BASE_DIR

User = get_user_model()
EMAIL = "registration.tasks.send_email"
RESIZE = "avatars.tasks.resize_avatar"


def wait_until(condition: Callable[[], bool], timeout: float = 90) -> None:
    """Poll until the condition holds; the deadline only guards against hangs."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still not true after {timeout} s"
        time.sleep(0.05)


def fresh_site(folder: Path) -> backup.SitePaths:
    return backup.SitePaths(
        database=folder / "db.sqlite3",
        queue=folder / "huey.sqlite3",
        uploads=folder / "uploads",
        media=folder / "media",
    )


def avatars_in(database: Path) -> dict[str, tuple[str, str]]:
    """username -> (state, thumbnails' stem), from a site's database file."""
    uri = f"{database.as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        rows = db.execute(
            f"SELECT u.username, a.state, a.thumbnails FROM {User._meta.db_table} u "
            f"JOIN {Avatar._meta.db_table} a ON a.user_id = u.id"
        ).fetchall()
    return {name: (state, stem) for name, state, stem in rows}


def task_names(queue: Path) -> list[str | None]:
    with closing(sqlite3.connect(queue)) as db:
        return [
            name
            for table in backup.QUEUE_TABLES.values()
            for _, name in backup.queue_messages(db, table)
        ]


# --- What a backup holds -------------------------------------------------------


@pytest.fixture
def site_with_data(transactional_db, photo_jpeg) -> dict[str, int]:
    """Two members with ready photos, one whose photo and e-mail are queued, a
    heartbeat of a worker, and a file the storage is still writing."""
    ids = add_members(["ready1", "ready2"], photos=[{}, {}])
    signup(Client(), photo=photo_jpeg, username="waiting", email="w@example.com")
    recovery.beat()
    (Path(storages["default"].location) / "avatars" / ".tmp-half").write_bytes(b"x")
    return ids


@pytest.mark.django_db(transaction=True)
def test_a_backup_holds_the_database_queue_originals_thumbnails_and_a_manifest(
    site_with_data, tmp_path
):
    dest = tmp_path / "backup"

    manifest = backup.backup(dest, backup.site_paths())

    counts = manifest["counts"]
    assert counts["members"] == 3
    assert counts["sessions"] == 1  # the sign-up signed "waiting" in
    assert counts["avatars"] == {"queued": 1, "ready": 2}
    assert counts["queued_tasks"] == {EMAIL: 1, RESIZE: 1}
    assert counts["files"] == {"uploads": 1, "media": 2 * len(thumbnail_names("x"))}
    assert ["avatars", "0001_initial"] in manifest["migrations"]
    assert manifest["versions"]["django"].startswith("5.2")
    assert len(manifest["versions"]["site_commit"] or "") in {0, 40}
    assert datetime.fromisoformat(manifest["taken_at"]) > datetime.now(UTC) - timedelta(
        minutes=1
    )
    # Every file is there, as the manifest describes it; nothing else is.
    on_disk = {
        path.relative_to(dest).as_posix()
        for path in dest.rglob("*")
        if path.is_file() and path.name != backup.MANIFEST
    }
    assert on_disk == set(manifest["files"]) and not manifest["vanished"]
    assert {"db.sqlite3", "huey.sqlite3"} <= on_disk
    assert not any(".tmp-" in name or "cache" in name for name in on_disk)
    for name, entry in manifest["files"].items():
        assert backup.describe(dest / name) == entry
    assert json.loads((dest / backup.MANIFEST).read_text()) == manifest
    # The copies are self-contained SQLite files (no -wal beside them).
    assert avatars_in(dest / "db.sqlite3")["waiting"][0] == "queued"


@pytest.mark.django_db(transaction=True)
def test_a_file_deleted_while_the_backup_runs_is_listed_not_fatal(
    site_with_data, tmp_path, monkeypatch
):
    real_copy = backup.copy_file

    def deleted_first(source: Path, target: Path) -> backup.FileEntry:
        if "uploads" in source.parts:
            source.unlink()  # the worker recorded the photo and removed it
        return real_copy(source, target)

    monkeypatch.setattr(backup, "copy_file", deleted_first)

    manifest = backup.backup(tmp_path / "backup", backup.site_paths())

    [gone] = manifest["vanished"]
    assert gone.startswith("uploads/originals/")
    assert gone not in manifest["files"]
    assert backup.verify(tmp_path / "backup") == manifest


@pytest.mark.django_db(transaction=True)
def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("backup", str(tmp_path))
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_backup_refuses_shared_services_and_says_what_to_use(monkeypatch):
    database = backup.settings.DATABASES["default"]
    monkeypatch.setitem(database, "ENGINE", "django.db.backends.postgresql")
    with pytest.raises(backup.BackupError, match="pg_dump -Fc"):
        backup.site_paths()
    monkeypatch.undo()

    monkeypatch.setattr(backup, "HUEY", RedisHuey("avatars"))
    with pytest.raises(backup.BackupError, match="Redis"):
        backup.site_paths()
    monkeypatch.undo()

    monkeypatch.setattr(backup, "storages", {"default": InMemoryStorage()})
    with pytest.raises(backup.BackupError, match="bucket's versioning"):
        backup.site_paths()


def test_backup_of_a_site_without_a_database_says_so(tmp_path):
    site = fresh_site(tmp_path / "empty")

    with pytest.raises(backup.BackupError, match="nothing to back up"):
        backup.backup(tmp_path / "backup", site)


# --- Verify and restore ----------------------------------------------------------


@pytest.fixture
def backed_up(site_with_data, tmp_path) -> Path:
    dest = tmp_path / "backup"
    backup.backup(dest, backup.site_paths())
    return dest


@pytest.mark.django_db(transaction=True)
def test_restore_fills_a_fresh_folder_without_the_queued_emails(backed_up, tmp_path):
    site = fresh_site(tmp_path / "new")

    restored = backup.restore(backed_up, site)

    assert avatars_in(site.database) == avatars_in(backed_up / "db.sqlite3")
    for name in restored.manifest["files"]:
        folder, _, rest = name.partition("/")
        if folder in {"uploads", "media"}:
            copy = (site.uploads if folder == "uploads" else site.media) / rest
            assert copy.read_bytes() == (backed_up / name).read_bytes()
    # The photo's task is still queued; its e-mail, and the old worker, are gone.
    assert task_names(site.queue) == [RESIZE]
    assert (restored.emails_dropped, restored.workers_forgotten) == (1, 2)
    store = SqliteHuey(HUEY.name, filename=str(site.queue))
    assert not recovery.any_worker_alive(store)
    store.storage.close()
    assert restored.migrations_to_apply == restored.unknown_migrations == 0


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_damaged_backup_naming_the_file(backed_up, tmp_path):
    [thumbnail, *_] = sorted((backed_up / "media" / "avatars").iterdir())
    thumbnail.write_bytes(thumbnail.read_bytes()[:-1] + b"?")
    site = fresh_site(tmp_path / "new")

    with pytest.raises(backup.BackupError, match=f"media/avatars/{thumbnail.name}"):
        backup.restore(backed_up, site)
    assert not site.database.exists()

    thumbnail.unlink()
    with pytest.raises(backup.BackupError, match="is missing from the backup"):
        backup.verify(backed_up)


@pytest.mark.parametrize(
    "manifest, message",
    [
        (None, "did not finish"),
        ("{", "not JSON"),
        ('{"format": 9}', "not known"),
        ('{"format": 1, "files": {"media/../../x": {}}}', "not a backup's file"),
        ('{"format": 1, "files": {"/etc/x": {}}}', "not a backup's file"),
    ],
)
def test_verify_refuses_what_is_not_a_finished_backup(tmp_path, manifest, message):
    if manifest is not None:
        (tmp_path / backup.MANIFEST).write_text(manifest)

    with pytest.raises(CommandError, match=message):
        call_command("verify_backup", str(tmp_path))


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_folder_with_a_database_or_photos(backed_up, tmp_path):
    with pytest.raises(CommandError, match="test.sqlite3 already exists"):
        call_command("restore", str(backed_up))  # into this test's own site

    site = fresh_site(tmp_path / "new")
    (site.media / "avatars").mkdir(parents=True)
    (site.media / "avatars" / "someone.webp").write_bytes(b"RIFF")
    with pytest.raises(backup.BackupError, match="already holds files"):
        backup.restore(backed_up, site)
    assert not site.database.exists()


@pytest.mark.django_db(transaction=True)
def test_the_commands_report_what_they_did(backed_up, tmp_path, monkeypatch, capsys):
    call_command("verify_backup", str(backed_up))
    assert "is whole: " in capsys.readouterr().out

    site = fresh_site(tmp_path / "new")
    monkeypatch.setattr(backup, "site_paths", lambda: site)
    call_command("restore", str(backed_up))
    out = capsys.readouterr().out
    assert "3 members" in out
    assert "Dropped 1 queued e-mails" in out
    assert "1 photos were waiting" in out


# --- Retention -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_dated_backups_older_than_keep_days_are_deleted(tmp_path, capsys):
    now = datetime.now(UTC)
    old = backup.dated_folder(tmp_path, now - timedelta(days=15))
    recent = backup.dated_folder(tmp_path, now - timedelta(days=13))
    for folder in (old, recent, tmp_path / "keep-me"):
        folder.mkdir()

    call_command("backup", str(tmp_path), "--dated", "--keep-days", "14")

    out = capsys.readouterr().out
    names = sorted(path.name for path in tmp_path.iterdir())
    assert old.name not in names and f"Deleted {old}" in out
    assert recent.name in names and "keep-me" in names
    [new] = [name for name in names if name not in {recent.name, "keep-me"}]
    assert (tmp_path / new / backup.MANIFEST).is_file()

    with pytest.raises(CommandError, match="--keep-days needs --dated"):
        call_command("backup", str(tmp_path / "x"), "--keep-days", "3")


# --- The live site ---------------------------------------------------------------


def session_cookie(response: http.client.HTTPResponse) -> str:
    [cookie] = [
        header.split(";")[0]
        for header in response.headers.get_all("Set-Cookie") or []
        if header.startswith("sessionid=")
    ]
    return cookie


def get(site: Site, path: str, cookie: str = "") -> tuple[int, bytes]:
    """One GET, redirects not followed."""
    address = urlsplit(site.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def thumbnails(site: Site, stem: str) -> list[bytes]:
    served = [get(site, f"/media/{name}") for name in thumbnail_names(stem)]
    assert all(status == 200 and body for status, body in served), stem
    return [body for _, body in served]


def shows_ready(site: Site, cookies: dict[str, str]) -> Callable[[], bool]:
    """Whether each of these people, polling their photo's status, sees it ready."""

    def all_ready() -> bool:
        for cookie in cookies.values():
            _, fragment = get(site, "/profile/avatar/", cookie)
            if b'data-state="ready"' not in fragment:
                return False
        return True

    return all_ready


class SignUps(threading.Thread):
    """Visitors signing up with photos, one after another, until stopped."""

    def __init__(self, site: Site, limit: int = 200) -> None:
        super().__init__(daemon=True)
        self.site, self.limit = site, limit
        self.done: dict[str, str] = {}  # username -> session cookie
        self.stopping = threading.Event()

    def run(self) -> None:
        for number in range(self.limit):
            if self.stopping.is_set():
                return
            name = f"busy{number}"
            response = sign_up(self.site, name)
            assert response.status == 302
            self.done[name] = session_cookie(response)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


def manage(data_dir: Path, key: str, *command: str) -> subprocess.CompletedProcess[str]:
    """A management command as an operator runs it, in the site's environment."""
    return subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=BASE_DIR,
        env=production_env(data_dir, DJANGO_SECRET_KEY=key, EMAIL_HOST="127.0.0.1"),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def old_site(tmp_path) -> Iterator[tuple[Site, str]]:
    key = secrets.token_urlsafe(50)
    # Dozens of sign-ups from one address in a minute: no rate limits.
    with running_site(
        tmp_path / "old", DJANGO_SECRET_KEY=key, DJANGO_RATE_LIMITS="0"
    ) as site:
        yield site, key


def test_a_site_backed_up_mid_traffic_works_again_from_a_fresh_folder(
    old_site, tmp_path
):
    old, key = old_site
    dest = tmp_path / "backup"
    # Members whose photos are ready, each signed in in a browser.
    cookies = {name: session_cookie(sign_up(old, name)) for name in ("ann", "bob")}
    wait_until(shows_ready(old, cookies))
    ready = avatars_in(old.data_dir / "db.sqlite3")
    served = {name: thumbnails(old, stem) for name, (_, stem) in ready.items()}
    # With the worker gone, new photos and confirmation e-mails stay queued.
    assert old.worker is not None
    old.worker.stop()
    for name in ("cat", "dan"):
        cookies[name] = session_cookie(sign_up(old, name))
    traffic = SignUps(old)
    traffic.start()
    try:
        wait_until(lambda: len(traffic.done) >= 1)
        result = manage(old.data_dir, key, "backup", str(dest))
        during = len(traffic.done)
        wait_until(lambda: len(traffic.done) > during)  # still signing up after
    finally:
        traffic.stop()
    assert result.returncode == 0, result.stderr
    manifest = json.loads((dest / backup.MANIFEST).read_text())
    backed_up = avatars_in(dest / "db.sqlite3")
    assert {"ann", "bob", "cat", "dan"} <= backed_up.keys()
    assert backed_up.keys() <= {"ann", "bob", "cat", "dan", *traffic.done}
    assert manifest["counts"]["members"] == len(backed_up)
    waiting = {name for name, (state, _) in backed_up.items() if state != State.READY}
    assert {"cat", "dan"} <= waiting
    emails = manifest["counts"]["queued_tasks"][EMAIL]
    assert emails >= 2

    restored = manage(tmp_path / "new", key, "restore", str(dest))

    assert restored.returncode == 0, restored.stderr
    assert f"Dropped {emails} queued e-mails" in restored.stdout
    with running_site(tmp_path / "new", DJANGO_SECRET_KEY=key) as new:
        database = new.data_dir / "db.sqlite3"
        # The photos waiting at backup time are made by the new site's worker,
        # and their owners, still signed in, see them.
        cookies.update(traffic.done)
        wait_until(shows_ready(new, {name: cookies[name] for name in waiting}))
        now = avatars_in(database)
        assert {state for state, _ in now.values()} == {State.READY}
        assert now.keys() == backed_up.keys()
        for name in waiting:
            thumbnails(new, now[name][1])
        # The same people, the same photos, the same signed-in browsers.
        for name, (_, stem) in ready.items():
            assert now[name][1] == stem
            assert thumbnails(new, stem) == served[name]
            status, page = get(new, "/profile/", cookies[name])
            assert status == 200 and f'class="me__name">{name}<'.encode() in page
        assert get(new, "/profile/")[0] == 302
        # The restored site sends its own e-mail, and none queued before.
        assert sign_up(new, "eve").status == 302
        assert new.inbox is not None
        wait_until(lambda: len(new.inbox.messages) >= 1)
        assert [message["To"] for message in new.inbox.messages] == ["eve@example.com"]


@pytest.mark.django_db(transaction=True)
def test_restore_says_which_migrations_differ_from_the_code(
    backed_up, tmp_path, monkeypatch, capsys
):
    path = backed_up / backup.MANIFEST
    manifest = json.loads(path.read_text())
    # Made before avatars 0001 existed, and by a release with a migration unknown here.
    manifest["migrations"].remove(["avatars", "0001_initial"])
    manifest["migrations"].append(["avatars", "9999_from_the_future"])
    path.write_text(json.dumps(manifest))
    monkeypatch.setattr(backup, "site_paths", lambda: fresh_site(tmp_path / "new"))

    call_command("restore", str(backed_up))

    captured = capsys.readouterr()
    assert "1 migrations of this code are not applied yet" in captured.out
    assert "1 migrations this code does not know" in captured.err
