"""What goes into a person's archive, and the zip that holds it.

Everything here is read from the database and the storages and written to a
file object; nothing knows of requests, the queue or the export's own row,
so the task, the tests and the benchmark all build archives through it.

Only the person's own data goes in: the reports they made name the person
they reported but not who acted on them; the actions taken on their account
say what, why and when, never who reported them or who acted.
"""

import json
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.template.loader import render_to_string

from avatars import state as avatar_state
from avatars import storage as avatar_storage
from exports.models import Step
from moderation.models import AuditEntry, Report
from registration import useragents
from registration.models import User
from registration.passkeys import is_passkey

FACTOR_KINDS = {
    Authenticator.Type.TOTP: "Authenticator app",
    Authenticator.Type.RECOVERY_CODES: "Recovery codes",
}
# What each kind of original is called in the archive, by its first bytes.
ORIGINAL_EXTENSIONS = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG", ".png"),
    (b"GIF8", ".gif"),
    (b"RIFF", ".webp"),  # RIFF....WEBP: the form accepts no other RIFF
)


def when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def profile_data(user: User) -> dict[str, Any]:
    """profile.json: the person's own data, as README.txt describes it."""
    profile = user.profile
    addresses = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    browsers = UserSession.objects.filter(user=user).order_by("-created_at")
    factors = Authenticator.objects.filter(user=user).order_by("created_at", "pk")
    reports = (
        Report.objects.filter(reporter=user)
        .select_related("person")
        .order_by("created_at", "pk")
    )
    actions = AuditEntry.objects.filter(person_id=user.pk).order_by("created_at", "pk")
    return {
        "username": user.username,
        "email_addresses": [
            {"address": a.email, "confirmed": a.verified, "primary": a.primary}
            for a in addresses
        ],
        "bio": profile.bio,
        "location": profile.location,
        "who_sees_your_page": profile.get_visibility_display(),
        "joined": when(user.date_joined),
        "last_sign_in": when(user.last_login),
        "signed_in_browsers": [
            {
                "browser": useragents.describe(s.user_agent),
                "signed_in_at": when(s.created_at),
                "ip_address": s.ip,
            }
            for s in browsers
        ],
        "two_factor_methods": [
            {
                "kind": factor_kind(f),
                "name": getattr(f.wrap(), "name", "") or "",
                "added": when(f.created_at),
            }
            for f in factors
        ],
        "reports_you_made": [
            {
                "reported_username": r.person.username,
                "reason": r.get_reason_display(),
                "note": r.note,
                "date": when(r.created_at),
            }
            for r in reports
        ],
        "moderation_actions_on_your_account": [
            {
                "action": a.get_action_display(),
                "reason": a.reason,
                "date": when(a.created_at),
            }
            for a in actions
        ],
    }


def factor_kind(factor: Authenticator) -> str:
    """As the Two-factor tab names it."""
    if factor.type == Authenticator.Type.WEBAUTHN:
        return "Passkey" if is_passkey(factor) else "Security key"
    return FACTOR_KINDS.get(factor.type, str(factor.get_type_display()))


def original_extension(first_bytes: bytes) -> str:
    for magic, extension in ORIGINAL_EXTENSIONS:
        if first_bytes.startswith(magic):
            return extension
    return ".heic"  # the one other format the form accepts


def write_archive(
    user: User, out: IO[bytes], on_step: Callable[[Step], None] = lambda step: None
) -> None:
    """Write the person's archive into `out`, a zip; `on_step` hears of each
    step as it starts. A file of the photo that cannot be read (a thumbnail
    gone missing, the storage down) raises: no archive without it."""
    on_step(Step.COLLECTING)
    data = profile_data(user)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        on_step(Step.PHOTO)
        photo = []
        avatar = avatar_state.refresh(user.avatar)
        for file in avatar_storage.photo_files(avatar):
            with file.storage.open(file.name, "rb") as source:
                if file.side is None:
                    name = "photo/original" + original_extension(source.read(16))
                    source.seek(0)
                else:
                    name = f"photo/square-{file.side}px.webp"
                # Already compressed: stored as they are.
                with archive.open(
                    zipfile.ZipInfo(name, date_time(avatar.finished_at)), "w"
                ) as target:
                    shutil.copyfileobj(source, target)
            photo.append(name)
        on_step(Step.WRITING)
        archive.writestr(
            "profile.json",
            json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        )
        archive.writestr(
            "README.txt",
            render_to_string(
                "exports/README.txt",
                {"user": user, "photo": photo, "avatar": avatar},
            ),
        )


def date_time(moment: datetime | None) -> tuple[int, int, int, int, int, int]:
    """A zip entry's time (zip keeps no zone; 1980 at the earliest)."""
    if moment is None or moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return moment.timetuple()[:6]
