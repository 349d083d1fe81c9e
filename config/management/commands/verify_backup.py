from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import backup


class Command(BaseCommand):
    help = "Check every file of a backup against its manifest's sizes and checksums."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path)

    def handle(self, *args: Any, src: Path, **options: Any) -> None:
        try:
            manifest = backup.verify(src)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{src} is whole: {backup.summary(manifest)}")
