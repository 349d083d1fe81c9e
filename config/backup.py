"""Backups on one host: a consistent copy of the site's data, checked, and back.

A backup holds the site's data, the things nobody could make again:

    db.sqlite3     members, profiles, sessions (cached_db writes each one through
                   to the database), avatars' states, the applied migrations
    huey.sqlite3   the queue: photos waiting, retries scheduled, outcomes not
                   yet recorded in their rows
    uploads/       originals still waiting to be processed (a ready photo's
                   original is deleted once its thumbnails are recorded)
    media/         the thumbnails
    manifest.json  what is in it: each file's size and sha256, counts, the
                   migrations, the versions, the time; written last

and leaves out what the site makes again or what is nobody's data: the file
caches (cache/: attempt counters; sessions/: sessions cached in front of the
database), tmp/ (uploads being received), static/ (collectstatic's output),
huey-stats.sqlite3 (the dashboard's task events, pruned after 48 h anyway),
metrics/ (this host's counters: Prometheus keeps their history) and the
storage's temporary files (".tmp-*": a file being written, not yet linked).

Consistency between the database and the files: the database is copied first,
in one read transaction (SQLite's online backup), then the queue, then the
files. A file written after the database copy is one the copy does not name:
harmless, the hourly purge (avatars.recovery.purge_orphans) removes it. A file
the copy names but which is deleted before it is copied (a photo replaced or
removed, an account deleted, an original whose thumbnails were just recorded)
is listed as "vanished" and the backup goes on: after a restore a queued photo
whose original is missing fails with "Your photo's file was lost. Please upload
it again." (avatars.resize), and a ready one whose thumbnails are missing shows
a broken image until its owner uploads another. Each needs a change made
during the seconds the backup runs; failing the whole backup for it would
leave no backup at all.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import django
import huey
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.storage import FileSystemStorage, storages
from django.db.migrations.loader import MigrationLoader
from huey import SqliteHuey
from huey.contrib.djhuey import HUEY

from avatars import recovery
from avatars.models import Avatar
from registration.tasks import send_email

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "db.sqlite3"
QUEUE = "huey.sqlite3"
UPLOADS = "uploads"
MEDIA = "media"
# avatars.storage writes each file under this prefix, then links it into place.
TEMPORARY_PREFIX = ".tmp-"
# A backup folder made by `--dated`: its name is its time, so it sorts and ages.
STAMP = "%Y-%m-%dT%H%M%SZ"
CHUNK = 1024 * 1024

# E-mail is sent at most once: a message still queued when the backup was taken
# may have gone out from the old site since. Dropped at restore; the person can
# ask again ("Resend", "Forgot password?").
SEND_ONCE = frozenset({HUEY._registry.task_to_string(send_email.task_class)})

Manifest = dict[str, Any]
FileEntry = dict[str, Any]


class BackupError(Exception):
    """A refusal, with what to do instead: shown to the operator as it is."""


@dataclass(frozen=True)
class SitePaths:
    """Where the site's data lives on this host."""

    database: Path
    queue: Path
    uploads: Path
    media: Path


def site_paths() -> SitePaths:
    """The site's own data, if it all lives on this host; else what to use instead."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        raise BackupError(
            "The database is not SQLite: back it up with its own tools. On "
            "PostgreSQL: pg_dump -Fc nightly, or WAL archiving for point-in-time "
            "recovery (README, Backups)."
        )
    if not isinstance(HUEY, SqliteHuey):
        raise BackupError(
            f"The queue is not SQLite ({type(HUEY).__name__}): this command copies "
            "SQLite files only. Redis keeps the queue in memory (its RDB/AOF "
            "persistence is the backup); the worker's sweep queues again every "
            "photo still waiting in the database (README, Backups)."
        )
    locations = {}
    for alias in ("default", "uploads"):
        storage = storages[alias]
        if not isinstance(storage, FileSystemStorage):
            raise BackupError(
                "Photos are on object storage: turn on the bucket's versioning (and "
                "a lifecycle rule for old versions) instead (README, Backups)."
            )
        locations[alias] = Path(storage.location)
    return SitePaths(
        database=Path(settings.DATABASES["default"]["NAME"]),
        queue=Path(HUEY.storage.filename),
        uploads=locations["uploads"],
        media=locations["default"],
    )


# --- Backup ------------------------------------------------------------------


def backup(dest: Path, site: SitePaths) -> Manifest:
    """Write a backup of `site` into `dest`, a new or empty folder.

    The manifest is written last, under a temporary name renamed into place: a
    folder without manifest.json is a backup that did not finish, and neither
    `verify` nor `restore` takes it.
    """
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} is not an empty folder: give a new one.")
    for source in (site.database, site.queue):
        if not source.is_file():
            raise BackupError(f"There is no {source}: nothing to back up.")
    dest.mkdir(parents=True, exist_ok=True)
    snapshot(site.database, dest / DATABASE)
    snapshot(site.queue, dest / QUEUE)
    files = {DATABASE: describe(dest / DATABASE), QUEUE: describe(dest / QUEUE)}
    vanished: list[str] = []
    for folder, source in ((UPLOADS, site.uploads), (MEDIA, site.media)):
        copied, gone = copy_folder(source, dest, folder)
        files.update(copied)
        vanished += gone
    manifest: Manifest = {
        "format": FORMAT,
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions(),
        "counts": {
            **database_counts(dest / DATABASE),
            **queue_counts(dest / QUEUE),
            "files": {
                folder: sum(name.startswith(f"{folder}/") for name in files)
                for folder in (UPLOADS, MEDIA)
            },
        },
        "migrations": applied_migrations(dest / DATABASE),
        "files": files,
        "vanished": vanished,
    }
    partial = dest / f".{MANIFEST}.partial"
    with partial.open("w") as output:
        json.dump(manifest, output, indent=1, sort_keys=True)
        output.flush()
        os.fsync(output.fileno())
    partial.rename(dest / MANIFEST)
    return manifest


def snapshot(source: Path, target: Path) -> None:
    """SQLite's online backup: every page in one step, so in one read
    transaction, a consistent copy while others write (WAL included); copying
    the file would not be. The copy is one self-contained file."""
    with (
        closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")


def copy_folder(
    source: Path, dest: Path, folder: str
) -> tuple[dict[str, FileEntry], list[str]]:
    """Copy every file under `source` to dest/folder; return what was copied
    and what was deleted before it could be."""
    copied: dict[str, FileEntry] = {}
    vanished: list[str] = []
    for path in sorted(walk(source)):
        name = f"{folder}/{path.relative_to(source).as_posix()}"
        try:
            copied[name] = copy_file(path, dest / name)
        except FileNotFoundError:
            vanished.append(name)
    return copied, vanished


def walk(folder: Path) -> Iterator[Path]:
    # os.walk steps over a folder deleted while it walks.
    for root, _, names in os.walk(folder):
        for name in names:
            if not name.startswith(TEMPORARY_PREFIX):
                yield Path(root) / name


def copy_file(source: Path, target: Path) -> FileEntry:
    """Copy one file, hashing what is written; its times are kept, so the
    orphan purge still sees an old leftover as old."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
        stat = os.fstat(reader.fileno())
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return {"size": size, "sha256": digest.hexdigest()}


def describe(path: Path) -> FileEntry:
    digest = hashlib.sha256()
    with path.open("rb") as reader:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def versions() -> dict[str, str | None]:
    return {
        "django": django.get_version(),
        "huey": huey.__version__,
        "python": sys.version.split()[0],
        "site_commit": site_commit(),
    }


def site_commit() -> str | None:
    """The code's commit, where it is a git checkout."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout.strip() if found.returncode == 0 else None


def read_only(path: Path) -> "closing[sqlite3.Connection]":
    return closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True))


def database_counts(path: Path) -> dict[str, Any]:
    """Counted in the copy, not the live database: what the backup holds."""
    users = get_user_model()._meta.db_table
    avatars = Avatar._meta.db_table
    sessions = Session._meta.db_table
    with read_only(path) as database:
        [(members,)] = database.execute(f"SELECT count(*) FROM {users}")
        [(signed_in,)] = database.execute(f"SELECT count(*) FROM {sessions}")
        by_state = database.execute(
            f"SELECT state, count(*) FROM {avatars} GROUP BY state ORDER BY state"
        )
        return {"members": members, "sessions": signed_in, "avatars": dict(by_state)}


def applied_migrations(path: Path) -> list[list[str]]:
    with read_only(path) as database:
        rows = database.execute("SELECT app, name FROM django_migrations ORDER BY id")
        return [[app, name] for app, name in rows]


# huey's SqliteStorage keeps queued messages in `task`, retries and delayed
# tasks in `schedule`, both with the queue's name; read here without a huey
# client, which would turn the copy back into a WAL database.
QUEUE_TABLES = {"queued_tasks": "task", "scheduled_tasks": "schedule"}


def queue_messages(
    queue: sqlite3.Connection, table: str
) -> Iterator[tuple[int, str | None]]:
    """(row id, task name) of each message in one of the queue's tables; the
    name is None for a message that cannot be read."""
    rows = queue.execute(
        f"SELECT id, data FROM {table} WHERE queue = ? ORDER BY id", (HUEY.name,)
    )
    for row_id, data in rows.fetchall():
        try:
            name = HUEY.serializer.deserialize(bytes(data)).name
        except Exception:
            name = None
        yield row_id, name


def queue_counts(path: Path) -> dict[str, dict[str, int]]:
    counts = {}
    with read_only(path) as queue:
        for key, table in QUEUE_TABLES.items():
            names = (name or "unreadable" for _, name in queue_messages(queue, table))
            counts[key] = dict(Counter(names))
    return counts


# --- Verify and restore ------------------------------------------------------


def read_manifest(src: Path) -> Manifest:
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{src} has no {MANIFEST}: not a backup, or one that did not finish."
        )
    try:
        manifest: Manifest = json.loads(path.read_text())
    except ValueError:
        raise BackupError(f"{path} is damaged: it is not JSON.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r} is not known.")
    return manifest


def verify(src: Path) -> Manifest:
    """Check every file of the backup against its size and checksum."""
    manifest = read_manifest(src)
    for name, expected in manifest["files"].items():
        if not holds(name):
            raise BackupError(f"{src / MANIFEST} names {name!r}: not a backup's file.")
        path = src / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup in {src}.")
        if describe(path) != expected:
            raise BackupError(
                f"{name} in {src} is damaged: its size or checksum differs from "
                "the manifest's."
            )
    return manifest


def holds(name: str) -> bool:
    """Whether a backup may hold a file of this name: restore copies each one
    into the data folder, so none may climb out of it."""
    parts = PurePosixPath(name).parts
    if name in (DATABASE, QUEUE):
        return True
    return len(parts) > 1 and parts[0] in (UPLOADS, MEDIA) and ".." not in parts


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    emails_dropped: int
    workers_forgotten: int
    migrations_to_apply: int
    unknown_migrations: int


def restore(src: Path, site: SitePaths) -> Restored:
    """Fill `site`, which holds no site data yet, from the backup in `src`.

    Photos that were waiting are processed by the next worker: their tasks are
    in the restored queue, and the worker's sweep queues again any whose task
    is not (one that was running when the backup was taken). The old site's
    signs of life are removed so that its workers count as gone at once.
    E-mail still queued in the backup is dropped (SEND_ONCE). The database is
    put in place last: a restore cut short leaves none, so it can be run again.
    """
    manifest = verify(src)
    if site.database.exists() and site.database.stat().st_size:
        raise BackupError(
            f"{site.database} already exists: restore into a data folder that "
            "holds no site data (set DATA_DIR to a new one)."
        )
    for folder in (site.uploads, site.media):
        if any(walk(folder)):
            raise BackupError(
                f"{folder} already holds files: restore into a data folder that "
                "holds no site data (set DATA_DIR to a new one)."
            )
    for name in manifest["files"]:
        folder, _, rest = name.partition("/")
        if folder in (UPLOADS, MEDIA):
            target = (site.uploads if folder == UPLOADS else site.media) / rest
            copy_file(src / name, target)
    site.queue.parent.mkdir(parents=True, exist_ok=True)
    # Into the queue file through SQLite: a consumer or this process's own huey
    # client may have it open already.
    with (
        read_only(src / QUEUE) as backed_up,
        closing(sqlite3.connect(site.queue)) as queue,
    ):
        backed_up.backup(queue)
        emails = drop_messages(queue, SEND_ONCE)
    store = SqliteHuey(HUEY.name, filename=str(site.queue))
    try:
        workers = recovery.forget_workers(store)
    finally:
        store.storage.close()
    site.database.parent.mkdir(parents=True, exist_ok=True)
    restoring = site.database.with_name(f".{site.database.name}.restoring")
    shutil.copyfile(src / DATABASE, restoring)
    restoring.replace(site.database)
    applied = {tuple(row) for row in manifest["migrations"]}
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return Restored(
        manifest=manifest,
        emails_dropped=emails,
        workers_forgotten=workers,
        migrations_to_apply=len(known - applied),
        unknown_migrations=len(applied - known),
    )


def drop_messages(queue: sqlite3.Connection, names: frozenset[str]) -> int:
    """Delete the queued and scheduled messages of these tasks; return how many."""
    dropped = 0
    with queue:
        for table in QUEUE_TABLES.values():
            doomed = [(i,) for i, name in queue_messages(queue, table) if name in names]
            queue.executemany(f"DELETE FROM {table} WHERE id = ?", doomed)
            dropped += len(doomed)
    return dropped


# --- Retention ---------------------------------------------------------------


def dated_folder(parent: Path, now: datetime) -> Path:
    return parent / now.strftime(STAMP)


def prune(parent: Path, keep_days: float, now: datetime) -> list[Path]:
    """Delete the dated backups in `parent` older than `keep_days`; return them.

    Only folders named by `dated_folder` are touched; anything else there is
    the operator's.
    """
    cutoff = now - timedelta(days=keep_days)
    deleted = []
    for folder in sorted(parent.iterdir()):
        try:
            taken = datetime.strptime(folder.name, STAMP).replace(tzinfo=UTC)
        except ValueError:
            continue
        if folder.is_dir() and taken < cutoff:
            shutil.rmtree(folder)
            deleted.append(folder)
    return deleted


def summary(manifest: Manifest) -> str:
    """One line for the operator: what the backup holds."""
    counts = manifest["counts"]
    avatars = ", ".join(f"{n} {state}" for state, n in counts["avatars"].items())
    tasks = sum(counts["queued_tasks"].values()) + sum(
        counts["scheduled_tasks"].values()
    )
    size = sum(entry["size"] for entry in manifest["files"].values())
    return (
        f"taken {manifest['taken_at']}: {counts['members']} members, "
        f"{counts['sessions']} sessions, photos: {avatars or 'none'}; "
        f"{tasks} tasks queued; {len(manifest['files'])} files, "
        f"{size / 1e6:.1f} MB"
    )
