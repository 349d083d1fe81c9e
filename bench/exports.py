"""Section e: the time and size of a person's archive ("Download your data").

In a process of its own (`python -m bench.exports --runs N --side S` prints
its figures as JSON), on a fresh migrated SQLite database in a temporary data
folder with the site's production settings: one member with data of every
kind (two addresses, three signed-in browsers, two second factors, ten
reports made, two moderation actions) and a photo of S × 3/4·S pixels
(4000: 12 MP; --quick: 1600), cut and resized by the pipeline's own
make_thumbnails. Each run is a new export prepared by the worker's own
function (exports.tasks.prepare: the zip in a temporary file, stored in the
uploads folder, the row marked ready), timed from the call to its return:

- with the photo's squares (what a member whose photo is ready gets);
- with the original still kept beside them (a photo not processed yet, or
  failed): the archive then holds the upload as it was sent.

No servers, no queue: the work of one task, which a consumer does the same.
"""

import argparse
import io
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.servers import base_env, prepare_data_dir
from bench.stats import Report
from testing.processes import BASE_DIR

SIDE = 4000
QUICK_SIDE = 1600


def archive_figures(
    report: Report, runs: int, quick: bool, progress: Callable[[str], None]
) -> None:
    work = Path(tempfile.mkdtemp(prefix="avatars-bench-exports-"))
    env = {
        **base_env(work, secrets.token_urlsafe(50), mail_port=0),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    try:
        progress("e: a fresh database (migrate, collectstatic)…")
        prepare_data_dir(env)
        side = QUICK_SIDE if quick else SIDE
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.exports",
                "--runs",
                str(runs),
                "--side",
                str(side),
            ],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise RuntimeError(f"bench.exports failed:\n{result.stderr}")
        measured = json.loads(result.stdout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    megapixels = side * (side * 3 // 4) / 1e6
    for kind, label in (
        ("squares", "with the photo's squares"),
        ("original", f"with a {megapixels:.0f} MP original still kept"),
    ):
        figures = measured[kind]
        report.add(
            "e",
            f"archive {label}: time to prepare",
            "ms",
            figures["milliseconds"],
            target=("<=", 1000.0),
            note=f"{figures['files']} files; exports.tasks.prepare, the zip stored",
        )
        report.add("e", f"archive {label}: size", "B", figures["bytes"])


def member_with_everything(side: int) -> Any:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from avatars.images import make_thumbnails
    from avatars.models import Avatar
    from avatars.storage import new_thumbnail_stem, thumbnail_name
    from moderation.models import Action, AuditEntry, Reason, Report
    from registration.models import User
    from testing import image_factory

    user = User.objects.create_user("bench-export", "bench@example.com", "!")
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    EmailAddress.objects.create(user=user, email="old@example.com")
    user.profile.bio, user.profile.location = "b" * 300, "l" * 100
    user.profile.save()
    for number in range(3):
        UserSession.objects.create(
            user=user,
            ip=f"203.0.113.{number}",
            session_key=f"bench-{number}",
            user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0",
            data={},
        )
    Authenticator.objects.create(user=user, type="totp", data={"secret": "x"})
    Authenticator.objects.create(
        user=user, type="webauthn", data={"name": "Key", "credential": {}}
    )
    others = [
        User.objects.create_user(f"other-{n}", f"o{n}@example.com", "!")
        for n in range(10)
    ]
    for other in others:
        Report.objects.create(
            reporter=user, person=other, reason=Reason.SPAM, note="n" * 500
        )
    for action in (Action.CLEAR_TEXT, Action.HIDE_PAGE):
        AuditEntry.objects.create(
            moderator=others[0],
            moderator_username=others[0].username,
            person=user,
            person_username=user.username,
            action=action,
            reason="r" * 500,
        )
    photo = image_factory.jpeg_from(image_factory.photo_like((side, side * 3 // 4)))
    stem = new_thumbnail_stem()
    for size, thumbnail in make_thumbnails(io.BytesIO(photo)).items():
        storages["default"].save(
            thumbnail_name(stem, size), ContentFile(thumbnail.data)
        )
    original = storages["uploads"].save("originals/bench", ContentFile(photo))
    Avatar.objects.filter(pk=user.pk).update(state="ready", thumbnails=stem)
    return user, original


def measure_here(runs: int, side: int) -> dict[str, Any]:
    import django

    django.setup()
    from avatars.models import Avatar
    from exports.models import Export, State
    from exports.tasks import archives, prepare

    user, original = member_with_everything(side)
    measured: dict[str, Any] = {}
    for kind, image in (("squares", ""), ("original", original)):
        Avatar.objects.filter(pk=user.pk).update(image=image)
        milliseconds: list[float] = []
        sizes: list[int] = []
        for _ in range(runs + 1):  # the first warms the imports and caches up
            export = Export.objects.create(user=user)
            started = time.perf_counter()
            prepare(str(export.pk))
            elapsed = (time.perf_counter() - started) * 1000
            export.refresh_from_db()
            if export.state != State.READY:
                raise RuntimeError(f"export {export.pk}: {export.state} {export.error}")
            milliseconds.append(elapsed)
            sizes.append(export.size or 0)
            with archives().open(export.archive) as stored:
                files = len(zipfile.ZipFile(stored).namelist())
        measured[kind] = {
            "milliseconds": milliseconds[1:],
            "bytes": sizes[1:],
            "files": files,
        }
        say(
            f"e: {kind}: {statistics.median(milliseconds[1:]):.1f} ms, "
            f"{statistics.median(sizes[1:]):,.0f} bytes"
        )
    return measured


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.exports",
        description="Time and size a member's archive on a fresh, migrated "
        "database (DATA_DIR); JSON on stdout.",
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--side", type=int, default=SIDE)
    args = parser.parse_args()
    print(json.dumps(measure_here(args.runs, args.side)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
