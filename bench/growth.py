"""Section g: the people pages as the membership grows, on SQLite and PostgreSQL.

For each database, a fresh one (SQLite in a temporary data folder; PostgreSQL
in a database made for the run and dropped after it), migrated and with its
static files collected, then grown in place: seed_members up to each size
(1,000, 100,000 and 1,000,000 members; --quick: 1,000 and 10,000), ANALYZE
(VACUUM ANALYZE on PostgreSQL, so that autovacuum does not start during the
timing), and measure. Members join a second apart in the order of their
numbers, the last just now, as if they had signed up one after another.

Measured in a subprocess per database (Django's settings are configured once
a process): `python -m bench.growth --database sqlite|postgres --sizes …
--requests N` prints its figures as JSON. Through Django's test client in that
process (the whole handler and middleware, no server, no network), signed in
as one seeded member, each page is warmed up, then asked N times in turns
(each turn asks every page once, starting from the next page each time):

- the directory's first page, `/people/`;
- a deep page: the cursor of the member in the middle of the join order,
  made by the directory's own NEWEST_FIRST.encode, `/people/?after=…`;
- a search, `/people/?q=member0000`: the same 999 members match at every
  size (899 of them listed), so what grows is the table, not the answer;
- a public page, `/u/<name>/`, of a member in the middle whose page is seen
  by everyone;
- the viewer's own profile, `/profile/`: the control, whose cost must not
  depend on how many others there are.

SQL queries a page are counted once per size (CaptureQueriesContext). The
report has each page's median (p90 in the note) at each size; for each page
its growth, largest / smallest size, against the control (target ≤ 2×): the
median of its time over the control's in the same turn, at one size over the
other, so that what else runs on the machine during one size and not the
other cancels out (the wall-time ratio is in the note, the control's own is a
figure: the machine's drift); and how long seeding up to the largest size
took (target ≤ 300 s). --runs does not apply: the figures are the N requests
of the one run.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.servers import base_env, prepare_data_dir
from bench.stats import Report, percentile
from testing import services
from testing.processes import BASE_DIR

SIZES = (1_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
REQUESTS = 50  # per page and size
QUICK_REQUESTS = 10
WARM_UP = 3
DATABASES = ("sqlite", "postgres")
PREFIX = "member"  # seeding's default: member0000001, member0000002, …
SEARCH = "member0000"  # members 1 to 999, at every size
VIEWER = 2  # member0000002, seen by members
RATIO_TARGET = 2.0
SEED_TARGET = 300.0  # seconds, up to the largest size
PAGES = {
    "first": "/people/ first page",
    "deep": "/people/?after= deep page (middle)",
    "search": f"/people/?q={SEARCH}",
    "public": "/u/<name>/ public page",
    "profile": "/profile/ (control)",
}
CONTROL = "profile"
NAME = re.compile(r'class="people__name">([^<]+)<')


# --- The section, in the benchmark's process ------------------------------------


@dataclass(frozen=True)
class Page:
    milliseconds: list[float]
    queries: int


@dataclass(frozen=True)
class Size:
    members: int
    seed_seconds: float  # seed_members from the size before
    analyse_seconds: float
    pages: dict[str, Page]
    load: float  # the load average when its pages were timed


@dataclass(frozen=True)
class Measured:
    database: str
    sizes: list[Size]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Measured":
        return cls(
            database=data["database"],
            sizes=[
                Size(
                    members=size["members"],
                    seed_seconds=size["seed_seconds"],
                    analyse_seconds=size["analyse_seconds"],
                    load=size["load"],
                    pages={
                        key: Page(page["milliseconds"], page["queries"])
                        for key, page in size["pages"].items()
                    },
                )
                for size in data["sizes"]
            ],
        )


def postgres_available() -> bool:
    """PostgreSQL answers on loopback, or can be started as the tests do."""
    return services.port_open(5432) or shutil.which("pg_ctlcluster") is not None


def growth(
    report: Report, args: argparse.Namespace, progress: Callable[[str], None]
) -> None:
    sizes = QUICK_SIZES if args.quick else SIZES
    requests = QUICK_REQUESTS if args.quick else REQUESTS
    started = time.monotonic()
    for database in DATABASES:
        measured = measure(
            database, sizes, requests, args.settings, args.keep, progress
        )
        add_figures(report, measured)
    report.meta["growth_seconds"] = round(time.monotonic() - started, 1)


def measure(
    database: str,
    sizes: tuple[int, ...],
    requests: int,
    settings: str,
    keep: bool,
    progress: Callable[[str], None],
) -> Measured:
    """A fresh database, grown and measured by a process of its own."""
    work = Path(tempfile.mkdtemp(prefix=f"avatars-growth-{database}-"))
    env = {
        **base_env(work, secrets.token_urlsafe(50), mail_port=0),
        "DJANGO_ALLOWED_HOSTS": "*",  # the test client's host is "testserver"
        "DJANGO_SETTINGS_MODULE": settings,
    }
    created = None
    process = None
    try:
        if database == "postgres":
            services.ensure(
                "PostgreSQL",
                5432,
                services.START_POSTGRES,
                services.postgres_answers,
            )
            created = f"bench_growth_{secrets.token_hex(6)}"
            services.postgres_admin(f'CREATE DATABASE "{created}"')
            env["DATABASE_URL"] = f"{services.POSTGRES_URL}/{created}"
        progress(f"g: {database}: a fresh database (migrate, collectstatic)…")
        prepare_data_dir(env)
        output = work / "growth.json"
        command = [
            sys.executable,
            "-m",
            "bench.growth",
            "--database",
            database,
            "--sizes",
            ",".join(str(size) for size in sizes),
            "--requests",
            str(requests),
        ]
        with output.open("w") as out:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert process.stderr is not None  # piped above
            for line in process.stderr:
                progress(line.rstrip())
            if process.wait():
                raise RuntimeError(f"{' '.join(command)} exited {process.returncode}")
        return Measured.from_json(json.loads(output.read_text()))
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if created is not None:
            services.postgres_admin(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)')
        if keep:
            print(f"Kept {work} (not the PostgreSQL database)")
        else:
            shutil.rmtree(work, ignore_errors=True)


def against_control(page: Page, size: Size) -> float:
    """The page's time over the control's, turn by turn (each turn asks every
    page once, within milliseconds): what other work on the machine costs
    both cancels out."""
    control = size.pages[CONTROL].milliseconds
    return statistics.median(
        ms / control_ms
        for ms, control_ms in zip(page.milliseconds, control, strict=True)
    )


def add_figures(report: Report, measured: Measured) -> None:
    database = measured.database
    for size in measured.sizes:
        for key, label in PAGES.items():
            page = size.pages[key]
            report.add(
                "g",
                f"{database}, {size.members:,} members: {label}",
                "ms",
                page.milliseconds,
                note=f"p90 {percentile(page.milliseconds, 0.9):.1f} ms, "
                f"{page.queries} queries"
                + (f", load average {size.load:.1f}" if key == CONTROL else ""),
            )
    smallest, largest = measured.sizes[0], measured.sizes[-1]
    sizes = f"{largest.members:,} / {smallest.members:,} members"
    for key, label in PAGES.items():
        small, large = smallest.pages[key], largest.pages[key]
        raw = statistics.median(large.milliseconds) / statistics.median(
            small.milliseconds
        )
        queries = f"{small.queries} → {large.queries} queries"
        if key == CONTROL:
            report.add(
                "g",
                f"{database}, {sizes}: {label}",
                "x",
                [raw],
                note=f"the machine's drift between the sizes; {queries}",
            )
            continue
        report.add(
            "g",
            f"{database}, {sizes}: {label} ÷ control",
            "x",
            [against_control(large, largest) / against_control(small, smallest)],
            target=("<=", RATIO_TARGET),
            note=f"{raw:.2f}× in wall time; {queries}",
        )
    steps = ", ".join(
        f"{size.members:,}: {size.seed_seconds:.1f} s" for size in measured.sizes
    )
    seeded = sum(size.seed_seconds for size in measured.sizes)
    report.add(
        "g",
        f"{database}: seed_members up to {largest.members:,} members",
        "s",
        [seeded],
        target=("<=", SEED_TARGET),
        note=f"{largest.members / seeded:,.0f} members/s; up to {steps}; "
        f"ANALYZE at {largest.members:,}: {largest.analyse_seconds:.1f} s",
    )


# --- The measuring process ------------------------------------------------------


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def grow(
    database: str, size: int, largest: int, last_joined: datetime
) -> tuple[float, float]:
    """Seed up to `size` members, each joined a second after the one before,
    member `largest` at `last_joined`; fresh statistics. The seconds each
    took."""
    from django.db import connection

    from registration import seeding
    from registration.models import User

    have = User.objects.filter(username__startswith=PREFIX).count()
    say(f"g: {database}: seeding {have:,} → {size:,} members…")
    started = time.perf_counter()
    now = last_joined - timedelta(seconds=largest - size)
    for written in seeding.seed_members(size - have, PREFIX, now=now):
        if written % 200_000 == 0:
            say(f"g: {database}: … {have + written:,} members")
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        seeding.analyse()
    return seeded, time.perf_counter() - started


def paths_at(size: int) -> dict[str, str]:
    from registration import directory, seeding
    from registration.models import User, Visibility

    middle = User.objects.get(username=seeding.username_of(PREFIX, size // 2))
    order = directory.NEWEST_FIRST
    cursor = order.encode(order.key_of(middle))
    public = User.objects.select_related("profile").get(
        username=seeding.username_of(PREFIX, size // 2 + 5)
    )
    assert public.profile.visibility == Visibility.EVERYONE, public.profile
    return {
        "first": "/people/",
        "deep": f"/people/?after={quote(cursor)}",
        "search": f"/people/?q={SEARCH}",
        "public": f"/u/{public.username}/",
        "profile": "/profile/",
    }


def number(name: str) -> int:
    return int(name.removeprefix(PREFIX))


def check(key: str, html: str, size: int) -> None:
    """Each page shows what it should: the timing is of real pages."""
    if key not in ("first", "deep", "search"):
        return
    names = NAME.findall(html)
    if key == "first":  # the newest (one in ten is seen by nobody else)
        expected = bool(names) and number(names[0]) >= size - 1
    elif key == "deep":  # those who joined just before the middle member
        expected = bool(names) and size // 2 - 2 <= number(names[0]) < size // 2
    else:
        expected = all(name.startswith(SEARCH) for name in names)
    if len(names) != 48 or not expected or 'rel="next"' not in html:
        raise AssertionError(f"{key} page at {size:,} members: {names[:3]}…")


def time_pages(
    client: Any, paths: dict[str, str], size: int, requests: int
) -> dict[str, Page]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get(path: str) -> Any:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return response

    queries = {}
    for key, path in paths.items():
        check(key, get(path).content.decode(), size)
        for _ in range(WARM_UP):
            get(path)
        with CaptureQueriesContext(connection) as captured:
            get(path)
        queries[key] = len(captured.captured_queries)
    samples: dict[str, list[float]] = {key: [] for key in paths}
    keys = list(paths)
    for turn in range(requests):
        start = turn % len(keys)
        for key in keys[start:] + keys[:start]:
            began = time.perf_counter()
            get(paths[key])
            samples[key].append((time.perf_counter() - began) * 1000)
    return {key: Page(samples[key], queries[key]) for key in paths}


def measure_here(database: str, sizes: list[int], requests: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from registration import seeding
    from registration.models import User

    vendor = {"sqlite": "sqlite", "postgres": "postgresql"}[database]
    if connection.vendor != vendor:
        raise SystemExit(f"--database {database}, but Django has {connection.vendor}")
    last_joined = timezone.now()
    client = Client()
    results = []
    for size in sizes:
        seeded, analysed = grow(database, size, sizes[-1], last_joined)
        if size == sizes[0]:
            client.force_login(
                User.objects.get(username=seeding.username_of(PREFIX, VIEWER))
            )
        load = os.getloadavg()[0]
        say(
            f"g: {database}, {size:,} members: {requests} requests a page "
            f"(load average {load:.1f})…"
        )
        pages = time_pages(client, paths_at(size), size, requests)
        line = ", ".join(
            f"{key} {statistics.median(page.milliseconds):.1f} ms"
            for key, page in pages.items()
        )
        say(f"g: {database}, {size:,} members: {line}")
        results.append(
            {
                "members": size,
                "seed_seconds": seeded,
                "analyse_seconds": analysed,
                "load": load,
                "pages": {
                    key: {"milliseconds": page.milliseconds, "queries": page.queries}
                    for key, page in pages.items()
                },
            }
        )
    return {"database": database, "sizes": results}


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.growth",
        description="Grow a fresh, migrated database (DATABASE_URL, else SQLite in "
        "DATA_DIR) and time the people pages at each size; JSON on stdout.",
    )
    parser.add_argument("--database", choices=DATABASES, required=True)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if sizes != sorted(set(sizes)) or sizes[0] < 1_000 or args.requests < 1:
        parser.error("--sizes grow, from at least 1000; --requests at least 1")
    print(json.dumps(measure_here(args.database, sizes, args.requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
