"""Every change of an Export row: asked for, preparing (step by step), ready,
failed, expired. The worker's writes are conditional UPDATEs: an export whose
account went meanwhile, or that the sweep failed, is never brought back."""

import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from exports.models import IN_PREPARATION, KEPT_FOR, ONE_PER, Export, State, Step
from registration.models import User

if TYPE_CHECKING:
    from registration.tasks import Email

logger = logging.getLogger(__name__)

# An export still in preparation this long after it was asked for has lost its
# task (a worker killed mid-way, a queue emptied): it fails, and may be asked
# for again. One takes about a second.
STUCK_AFTER = timedelta(hours=1)

IN_PREPARATION_ALREADY = "Your archive is being prepared already."
FAILED = (
    "We could not prepare your archive. Nothing is lost: try again, or later "
    "if it fails again."
)
NOT_QUEUED = "We could not queue your archive. Nothing is lost: try again."
STUCK = "Preparing your archive took too long. Nothing is lost: try again."


class Refused(Exception):
    """A request for an archive the limits do not allow; its text says why."""


def latest(user: User) -> Export | None:
    return Export.objects.filter(user=user).order_by("-requested_at").first()


def next_allowed(user: User) -> Export | None:
    """The archive that keeps the person from asking for another today, if
    any: the last one not failed, asked for within ONE_PER."""
    return (
        Export.objects.filter(user=user, requested_at__gt=timezone.now() - ONE_PER)
        .exclude(state=State.FAILED)
        .order_by("-requested_at")
        .first()
    )


def allowed_again_at(export: Export) -> str:
    moment = timezone.localtime(export.requested_at + ONE_PER)
    return date_format(moment, "j F, H:i T")


def request_archive(user: User, ready_email: "Email") -> Export:
    """A new export for `user`, queued once the transaction commits; Refused
    when one is in preparation or one was made today."""
    with transaction.atomic():
        if Export.objects.filter(user=user, state__in=IN_PREPARATION).exists():
            raise Refused(IN_PREPARATION_ALREADY)
        if previous := next_allowed(user):
            raise Refused(
                "You can ask for one archive a day: you may ask for the next "
                f"one from {allowed_again_at(previous)}."
            )
        try:
            with transaction.atomic():
                export = Export.objects.create(user=user, ready_email=ready_email)
        except IntegrityError:  # asked twice at once: the constraint answers
            raise Refused(IN_PREPARATION_ALREADY) from None
        transaction.on_commit(lambda: queue(export))
    return export


def queue(export: Export) -> None:
    """Queue the export's task; a queue that is down fails the export at once
    (the person may try again) rather than leaving it queued for ever."""
    from exports.tasks import prepare_export

    try:
        prepare_export(str(export.pk))
    except Exception:
        logger.exception("export %s: enqueue failed", export.pk)
        fail(export.pk, NOT_QUEUED)


def start(export_id: "uuid.UUID | str") -> bool:
    """Queued → preparing; False if it is no longer queued (or gone)."""
    return bool(
        Export.objects.filter(pk=export_id, state=State.QUEUED).update(
            state=State.PREPARING, started_at=timezone.now(), step=""
        )
    )


def set_step(export_id: "uuid.UUID | str", step: Step) -> None:
    Export.objects.filter(pk=export_id, state=State.PREPARING).update(step=step)


def finish(export_id: "uuid.UUID | str", archive: str, size: int) -> "Email | None":
    """Preparing → ready with its archive, and the e-mail to send (None if it
    has none). Raises Export.DoesNotExist if the export is no longer
    preparing (its account deleted, the sweep gave up on it): the caller
    then deletes the archive, which nothing names."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(
            pk=export_id, state=State.PREPARING
        )
        now = timezone.now()
        email = export.ready_email or None
        Export.objects.filter(pk=export_id).update(
            state=State.READY,
            step="",
            archive=archive,
            size=size,
            finished_at=now,
            expires_at=now + KEPT_FOR,
            ready_email={},
        )
    return email


def failed(error: str) -> dict[str, object]:
    return {
        "state": State.FAILED,
        "step": "",
        "error": error,
        "finished_at": timezone.now(),
        "ready_email": {},
    }


def fail(export_id: "uuid.UUID | str", error: str) -> None:
    Export.objects.filter(pk=export_id, state__in=IN_PREPARATION).update(
        **failed(error)
    )


def expire(export: Export) -> bool:
    """Ready → expired, once its archive is deleted."""
    return bool(
        Export.objects.filter(
            pk=export.pk, state=State.READY, archive=export.archive
        ).update(state=State.EXPIRED, archive="")
    )


def due_for_expiry() -> "list[Export]":
    return list(
        Export.objects.filter(state=State.READY, expires_at__lte=timezone.now())
    )


def fail_stuck() -> int:
    return Export.objects.filter(
        state__in=IN_PREPARATION, requested_at__lt=timezone.now() - STUCK_AFTER
    ).update(**failed(STUCK))
