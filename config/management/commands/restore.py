import sqlite3
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import backup


class Command(BaseCommand):
    help = (
        "Fill this site's DATA_DIR, which must hold no site data yet, from a "
        "backup made by `manage.py backup`, after checking every file of it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path)

    def handle(self, *args: Any, src: Path, **options: Any) -> None:
        try:
            restored = backup.restore(src, backup.site_paths())
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        except (OSError, sqlite3.Error) as exc:
            raise CommandError(f"The restore failed: {exc}.") from None
        manifest = restored.manifest
        counts = manifest["counts"]
        waiting = sum(
            counts["avatars"].get(state, 0) for state in ("queued", "processing")
        )
        self.stdout.write(
            f"Checked {len(manifest['files'])} files against the manifest; "
            f"restored the backup {backup.summary(manifest)}."
        )
        self.stdout.write(
            f"Dropped {restored.emails_dropped} queued e-mails: the old site may "
            "have sent them since (people can ask again)."
        )
        self.stdout.write(
            f"{waiting} photos were waiting: the worker processes them once it starts."
        )
        if restored.migrations_to_apply:
            self.stdout.write(
                f"{restored.migrations_to_apply} migrations of this code are not "
                "applied yet: run `manage.py migrate` (the web unit does at start)."
            )
        if restored.unknown_migrations:
            self.stderr.write(
                f"The backup has {restored.unknown_migrations} migrations this code "
                "does not know: it was made by a newer release. Deploy that one."
            )
