import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from registration import seeding


class Command(BaseCommand):
    help = (
        "Add N members for benchmarks: every row a sign-up makes, in bulk, no "
        f"photos. Each signs in with the password {seeding.PASSWORD!r}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)
        parser.add_argument(
            "--prefix",
            default="member",
            help="usernames are the prefix and a number (default: member)",
        )

    def handle(self, *args: Any, count: int, prefix: str, **options: Any) -> None:
        started = time.monotonic()
        for written in seeding.seed_members(count, prefix):
            if options["verbosity"] > 1 or written == count:
                self.stdout.write(f"{written:,} of {count:,} members written")
        seeding.analyse()
        self.stdout.write(
            f"{count:,} members in {time.monotonic() - started:.1f} s, analysed"
        )
