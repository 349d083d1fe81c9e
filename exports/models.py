import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

# How long a ready archive may be downloaded; then a periodic task deletes it.
KEPT_FOR = timedelta(hours=24)
# New archives a person may ask for: one per this long (a failed one is free).
ONE_PER = timedelta(hours=24)


class State(models.TextChoices):
    QUEUED = "queued", "Queued"
    PREPARING = "preparing", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


IN_PREPARATION = (State.QUEUED, State.PREPARING)


class Step(models.TextChoices):
    """Where a preparing archive is, as its owner reads it."""

    COLLECTING = "collecting", "Collecting your data"
    PHOTO = "photo", "Adding your photo"
    WRITING = "writing", "Writing the archive"


class Export(models.Model):
    """One archive of a person's data, from the request to its expiry.

    Every field is written by exports.state alone. The archive is a private
    file in the `uploads` storage, named in `archive` while it exists.
    """

    # The URL's key: a guessed one names nothing.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=10, choices=Step.choices, blank=True)
    error = models.CharField(max_length=300, blank=True)
    archive = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # "Your archive is ready", rendered in the request that asked for it (its
    # links need the site's address) and sent by the worker when it is; then
    # emptied.
    ready_email = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state__in=IN_PREPARATION),
                name="export_one_in_preparation",
                violation_error_message="Your archive is being prepared already.",
            )
        ]
        indexes = [
            models.Index(fields=["user", "requested_at"], name="export_user_idx"),
            # The periodic sweep: ready archives past their time, stuck ones.
            models.Index(fields=["state", "expires_at"], name="export_sweep_idx"),
        ]

    def __str__(self) -> str:
        return f"Export of {self.user} ({self.state})"

    @property
    def in_preparation(self) -> bool:
        return self.state in IN_PREPARATION
