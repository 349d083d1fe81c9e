"""What staff do to a reported person: each action's effect, the e-mail that
tells the person (all but dismiss), the audit entry, and the reports closed.

The only writer of AuditEntry rows, and the only place a report is closed.
"""

from collections.abc import Callable

from allauth.account.adapter import get_adapter
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from avatars import blocklist
from avatars.models import BlockedPhoto
from avatars.state import remove_photo
from moderation.models import Action, AuditEntry, Report
from registration.models import User

# What the e-mail says was done, by action (dismiss sends none).
DONE = {
    Action.REMOVE_PHOTO: (
        "We removed your profile photo; your initials show instead. "
        "The same photo cannot be uploaded again."
    ),
    Action.CLEAR_TEXT: "We cleared the bio and location on your page.",
    Action.HIDE_PAGE: (
        "We hid your page: only you can see it, and you cannot change that "
        "until our staff show it again."
    ),
    Action.SUSPEND: (
        "We suspended your account: you are signed out everywhere and cannot sign in."
    ),
}


def _remove_photo(person: User) -> None:
    remove_photo(person.avatar, block=True)


EFFECTS: dict[Action, Callable[[User], None]] = {
    Action.DISMISS: lambda person: None,
    Action.REMOVE_PHOTO: _remove_photo,
    Action.CLEAR_TEXT: lambda person: person.profile.clear_text(),
    Action.HIDE_PAGE: lambda person: person.profile.hide(),
    Action.SUSPEND: lambda person: person.suspend(),
}


def act(request: HttpRequest, action: Action, person: User, reason: str) -> AuditEntry:
    """Do `action` to `person` for `reason`, as request.user, in one
    transaction: the person's open reports are closed, the action recorded,
    and the e-mail queued once it commits."""
    with transaction.atomic():
        open_reports = Report.objects.filter(person=person, closed_at__isnull=True)
        latest = open_reports.order_by("-updated_at", "-pk").first()
        EFFECTS[action](person)
        open_reports.update(closed_at=timezone.now())
        entry = record(request, action, person, reason, latest)
        if action in DONE:
            get_adapter(request).send_mail(
                "moderation/email/action",
                person.email,
                {"person": person, "done": DONE[action], "reason": reason},
            )
    return entry


def lift_block(request: HttpRequest, entry: BlockedPhoto, reason: str) -> AuditEntry:
    """Let the photo be uploaded again, as request.user, recorded with why."""
    with transaction.atomic():
        blocklist.lift([entry])
        return record(request, Action.LIFT_BLOCK, entry.user, reason)


def record(
    request: HttpRequest,
    action: Action,
    person: User | None,
    reason: str,
    report: Report | None = None,
) -> AuditEntry:
    """The audit entry of request.user's action, with both usernames as they
    are now (a lifted block's account may be gone: no username)."""
    moderator = request.user
    assert isinstance(moderator, User)
    return AuditEntry.objects.create(
        moderator=moderator,
        moderator_username=moderator.username,
        person=person,
        person_username=person.username if person else "",
        report=report,
        action=action,
        reason=reason,
    )
