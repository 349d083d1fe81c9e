"""`make bench`: start the benchmark's own servers, measure, print one table.

Sections: 1 sign-up response time, 2 the synchronous way,
3 time to the thumbnail (HTTP and Chromium), 4 the resize alone, 5 worker
throughput, 6 the status fragment under load, 7 thirty sign-ups at once, 8 slow
clients (the Procfile's web line against gunicorn's sync workers), 9 people's
pages (the directory, a public page and the profile, with 1,000 members),
w 1,000 browsers waiting on a stopped worker (sign-up and profile beside them),
b what one member costs in bytes after 10,000 sign-ups and the housekeeping,
g the people pages as the membership grows (1,000 to 1,000,000 members, on
SQLite and PostgreSQL; no servers, the test client in a process of its own),
m what the metrics cost (the status fragment with and without them, the
middleware per request, one /metrics scrape), k a sign-in with the password
against one with a passkey, e the time and size of a member's archive ("Download
your data"; no servers, the worker's function in a process of its own).

--quick runs every section once on small inputs (100 members), through the same
code: CI runs it so that the benchmark cannot break unnoticed.
"""

import argparse
import contextlib
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import exports as bench_exports
from bench import growth, site, workers
from bench import photos as bench_photos
from bench.photos import Photo
from bench.servers import (
    Web,
    WebCommand,
    backoff_to_cap,
    base_env,
    consumer_options,
    copy_data_dir,
    expand,
    option,
    prepare_data_dir,
    sync_web_command,
)
from bench.stats import Report
from testing import chromium
from testing.mail import smtp_server
from testing.processes import BASE_DIR, Worker, procfile_command

SECTIONS = "123456789wbgmke"
DEFAULT_SETTINGS = "bench.settings"
STARTED = time.monotonic()


def progress(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:5.1f} s] {text}", flush=True)


def source_version() -> str:
    """The commit measured (with "-dirty" when the tree has changes)."""
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def missing_tools(sections: str) -> list[str]:
    missing = []
    if set("689m") & set(sections) and not shutil.which("wrk"):
        missing.append("wrk (Debian: apt-get install wrk)")
    if "3" in sections and not chromium.path():
        missing.append("Chromium (Debian: apt-get install chromium, or CHROMIUM_PATH)")
    if "g" in sections and not growth.postgres_available():
        missing.append("PostgreSQL (Debian: apt-get install postgresql)")
    if "5" in sections and not workers.redis_available():
        missing.append("Redis (Debian: apt-get install redis-server)")
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=None, help="runs per figure")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="every section once, on small inputs: does it all still work?",
    )
    parser.add_argument(
        "--sections", default=SECTIONS, help="which sections to run, e.g. 16"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the servers' data folders and logs"
    )
    parser.add_argument(
        "--settings",
        default=DEFAULT_SETTINGS,
        help="settings module of the web servers, to try a change (default: %(default)s"
        ", the site's settings plus the naive reference view)",
    )
    args = parser.parse_args()
    if args.runs is None:
        args.runs = 1 if args.quick else 10
    if args.runs < 1 or not set(args.sections) <= set(SECTIONS):
        parser.error(f"--runs must be at least 1, --sections among {SECTIONS}")
    if missing := missing_tools(args.sections):
        print("make bench needs: " + "; ".join(missing), file=sys.stderr)
        return 2
    # A stopped benchmark still stops its servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))

    data_dir = Path(os.environ.get("DATA_DIR") or BASE_DIR / "data").resolve()
    output = data_dir / "bench"
    progress("Making the test photos (once)…")
    photos = bench_photos.ensure(output / "photos")
    report = Report(
        meta={
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": source_version(),
            "machine": f"{os.cpu_count()} cores, {platform.machine()}",
            "python": platform.python_version(),
            "runs": args.runs,
            "load_average_at_start": os.getloadavg()[0],
        }
    )
    run(report, photos, args)
    report.meta["load_average_at_end"] = os.getloadavg()[0]
    report.meta["seconds"] = round(time.monotonic() - STARTED, 1)

    print()
    for key, value in report.meta.items():
        print(f"{key}: {value}")
    print()
    print(report.table())
    # A partial run, or one with other settings, leaves the full run's file alone.
    name = "results.json"
    if args.quick:
        name = "results-quick.json"
    elif args.sections != SECTIONS or args.settings != DEFAULT_SETTINGS:
        name = f"results-{args.settings}-{args.sections}.json"
    report.write_json(output / name)
    print(f"\n{output / name} written in {report.meta['seconds']} s.")
    return 0


def run(report: Report, photos: dict[Photo, Path], args: argparse.Namespace) -> None:
    from bench import (
        footprint,
        passkeys,
        people,
        poll,
        ready,
        resize,
        signup,
        slow,
        waiting,
    )
    from bench import (
        metrics as bench_metrics,
    )

    sections, runs = args.sections, args.runs
    if "4" in sections:
        # First, while nothing else runs on the machine.
        progress("4: the resize alone…")
        resize.resize_alone(report, photos, runs)
    if "g" in sections:
        progress("g: the people pages as the membership grows…")
        growth.growth(report, args, progress)
    if "e" in sections:
        progress("e: the time and size of an archive…")
        bench_exports.archive_figures(report, runs, args.quick, progress)
    if not set(sections) - {"4", "g", "e"}:
        return

    work = Path(tempfile.mkdtemp(prefix="avatars-bench-"))
    processes: list[Web | Worker] = []
    mail = contextlib.ExitStack()
    try:
        mail_port = mail.enter_context(smtp_server()).port
        secret = secrets.token_urlsafe(50)
        ours_dir, sync_dir = work / "ours", work / "synchronous"
        ours_env = base_env(ours_dir, secret, mail_port)
        sync_env = {**base_env(sync_dir, secret, mail_port), "HUEY_IMMEDIATE": "1"}
        progress(f"Preparing {work} (migrate, collectstatic)…")
        prepare_data_dir(ours_env)
        copy_data_dir(ours_dir, sync_dir)
        # Section 8's two servers, each in a data folder of its own.
        slow_dirs = {"ours": work / "slow-ours", "sync": work / "slow-sync"}
        if "8" in sections:
            for folder in slow_dirs.values():
                copy_data_dir(ours_dir, folder)

        bench_settings = {"DJANGO_SETTINGS_MODULE": args.settings}
        ours = Web("ours", {**ours_env, **bench_settings}, ours_dir / "web.log")
        processes.append(ours)
        worker_line = procfile_command("worker")
        worker = Worker("worker", worker_line, ours_env, ours_dir / "worker.log")
        processes.append(worker)
        synchronous = Web(
            "synchronous", {**sync_env, **bench_settings}, sync_dir / "web.log"
        )
        processes.append(synchronous)
        # Section 1's comparison: the same web line with PBKDF2 first. No worker
        # drains its queue; a sign-up only enqueues its photo, as on ours.
        pbkdf2 = None
        if "1" in sections:
            pbkdf2_dir = work / "pbkdf2"
            copy_data_dir(ours_dir, pbkdf2_dir)
            pbkdf2_env = {
                **base_env(pbkdf2_dir, secret, mail_port),
                "DJANGO_SETTINGS_MODULE": "bench.pbkdf2_settings",
            }
            pbkdf2 = Web("pbkdf2", pbkdf2_env, pbkdf2_dir / "web.log")
            processes.append(pbkdf2)
        naive = None
        if "6" in sections:
            naive_settings = {"DJANGO_SETTINGS_MODULE": "bench.naive_settings"}
            naive = Web("naive", {**ours_env, **naive_settings}, work / "naive.log")
            processes.append(naive)
        bare = None
        if "m" in sections:
            bare = Web(
                "ours-without-metrics",
                {**ours_env, **bench_settings, "METRICS_ENABLED": "0"},
                work / "bare.log",
            )
            processes.append(bare)
        for process in processes:
            process.wait_ready()
        site.setup(ours_env, args.settings)

        worker_expanded = expand(worker_line, ours_env)
        polling = consumer_options(worker_expanded)
        to_cap = backoff_to_cap(**polling)
        # Past the cap, then one more polling interval at the cap, and a margin.
        idle = to_cap + polling["max_delay"] + 0.1
        procfile_variant = (
            int(option(worker_expanded, "--workers", "-w") or 1),
            option(worker_expanded, "--worker-type", "-k") or "thread",
        )
        report.meta.update(
            settings=args.settings,
            web=expand(procfile_command("web"), {**ours_env, "PORT": "$PORT"}),
            worker=worker_expanded,
            idle_back_off_to_cap=f"{to_cap:.3f} s (huey's defaults: "
            f"{backoff_to_cap(0.1, 1.15, 10.0):.1f} s)",
            idle_before_each_ready_sample=f"{idle:.3f} s",
        )

        if "1" in sections or "2" in sections:
            progress("1, 2: sign-ups, ours and synchronous…")
            signup.single_sign_ups(report, ours, synchronous, photos, runs, pbkdf2)
        if "3" in sections:
            progress("3: time to ready…")
            ready.time_to_ready(report, ours, worker, photos, idle, runs)
            progress("3: in Chromium…")
            ready.browser_to_thumbnail(report, ours, worker, photos, idle, runs)
        if "7" in sections:
            progress("7: thirty sign-ups at once…")
            signup.crowd(report, ours, photos, runs)
        if "5" in sections:
            progress("5: worker throughput…")
            workers.throughput(
                report, ours_env, ours_dir, photos, procfile_variant, runs
            )
            progress("5: one and two consumers on one Redis queue…")
            workers.consumers_on_redis(report, ours_env, ours_dir, photos, runs)
        if "6" in sections:
            progress("6: the status fragment under load…")
            assert naive is not None  # started above when section 6 runs
            poll.fragment_throughput(report, ours, naive, runs, work)
        if "m" in sections:
            progress("m: what the metrics cost…")
            assert bare is not None  # started above when section m runs
            bench_metrics.metrics_cost(report, ours, bare, runs, args.quick, work)
        if "k" in sections:
            progress("k: sign-in with the password and with a passkey…")
            passkeys.sign_ins(report, ours, runs)
        if "8" in sections:
            progress("8: slow clients, ours and gunicorn's sync workers…")
            slow_env = {**bench_settings, "WEB_CONCURRENCY": "2"}
            lines = {"ours": procfile_command("web"), "sync": sync_web_command()}
            slow_webs = [
                WebCommand(
                    name,
                    lines[name],
                    {**base_env(folder, secret, mail_port), **slow_env},
                    folder / "web.log",
                )
                for name, folder in slow_dirs.items()
            ]
            processes.extend(slow_webs)
            for web in slow_webs:
                web.wait_ready()
            report.meta["web_sync"] = expand(
                lines["sync"], {**ours_env, **slow_env, "PORT": "$PORT"}
            )
            slow.slow_clients(
                report,
                slow_webs[0],
                slow_webs[1],
                {name: folder / "tmp" for name, folder in slow_dirs.items()},
                photos,
                runs,
                work,
            )
        if "9" in sections:
            progress("9: people's pages…")
            members = 100 if args.quick else people.MEMBERS
            people.people_pages(report, ours, runs, work, members)
        if "w" in sections:
            progress("w: browsers waiting on a stopped worker…")
            waiting.browsers_waiting(report, ours, worker, photos, args.quick)
        if "b" in sections:
            progress("b: bytes per member after the sign-ups and the housekeeping…")
            footprint.bytes_per_member(report, photos, args.quick)
    except Exception:
        for process in processes:
            print(process.fail("its log when the benchmark failed"), file=sys.stderr)
        raise
    finally:
        for process in reversed(processes):
            process.stop()
        mail.close()
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
