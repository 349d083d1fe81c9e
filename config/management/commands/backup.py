import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import backup


class Command(BaseCommand):
    help = (
        "Copy the site's data (SQLite database and queue, originals waiting, "
        "thumbnails) into DEST, a new or empty folder, while the site runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path)
        parser.add_argument(
            "--dated",
            action="store_true",
            help="DEST is a folder of backups: write a new one in it, named "
            "after the time (UTC)",
        )
        parser.add_argument(
            "--keep-days",
            type=float,
            help="with --dated: then delete the backups in DEST older than this",
        )

    def handle(
        self,
        *args: Any,
        dest: Path,
        dated: bool,
        keep_days: float | None,
        **options: Any,
    ) -> None:
        if keep_days is not None and not dated:
            raise CommandError("--keep-days needs --dated (a folder of backups).")
        now = datetime.now(UTC)
        target = backup.dated_folder(dest, now) if dated else dest
        try:
            manifest = backup.backup(target, backup.site_paths())
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        except (OSError, sqlite3.Error) as exc:
            raise CommandError(
                f"The backup failed: {exc}. {target} is incomplete "
                f"(it has no {backup.MANIFEST}): delete it."
            ) from None
        self.stdout.write(f"Backed up into {target}: {backup.summary(manifest)}")
        if manifest["vanished"]:
            self.stdout.write(
                f"{len(manifest['vanished'])} files were deleted by the site while "
                "they were being copied (left out: see the manifest)."
            )
        if keep_days is not None:
            for folder in backup.prune(dest, keep_days, now):
                self.stdout.write(f"Deleted {folder} (older than {keep_days:g} days)")
