import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models


def uploads_storage() -> Storage:
    return storages["uploads"]


def original_upload_to(instance: "Avatar", filename: str) -> str:
    # Never derived from the user's file name: the name is theirs, the disk is ours.
    return f"originals/{uuid.uuid4().hex}"


class State(models.TextChoices):
    NONE = "none", "No photo"
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


PENDING_STATES = (State.QUEUED, State.PROCESSING)


class Avatar(models.Model):
    """A person's photo on its way through the pipeline, and what came of it.

    One per user, made with the user (avatars.signals). Every field is written
    by avatars.state alone; the original is private and kept only until its
    thumbnails are recorded.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="avatar",
    )
    image = models.FileField(
        "photo",
        upload_to=original_upload_to,
        storage=uploads_storage,
        blank=True,
        max_length=200,
        help_text="The uploaded original. Private: never served.",
    )
    # The square the person chose, in the upright photo's pixels; none: the
    # centred one. Kept with the photo, so every attempt cuts the same square.
    crop_x = models.PositiveIntegerField(null=True, blank=True, editable=False)
    crop_y = models.PositiveIntegerField(null=True, blank=True, editable=False)
    crop_size = models.PositiveIntegerField(null=True, blank=True, editable=False)

    state = models.CharField(max_length=10, choices=State.choices, default=State.NONE)
    task_id = models.CharField(max_length=36, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker_deaths = models.PositiveSmallIntegerField(
        default=0, help_text="Workers that died with this photo in flight."
    )
    worker = models.CharField(
        max_length=200, blank=True, help_text="The consumer running the task."
    )
    thumbnails = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="Where the square thumbnails are: this, then -<side in px>.webp.",
    )
    # The perceptual hashes of the photo shown (images.Hashes.kept, as
    # fingerprints.as_text writes them): what the blocklist keeps when
    # moderators remove it.
    # db_default: rows written by older releases' code (and migrations) too.
    hashes = models.CharField(
        max_length=120, blank=True, editable=False, default="", db_default=""
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A queued photo's place in line: a count of the queued before it.
            models.Index(fields=["state", "queued_at"], name="avatar_line_idx"),
        ]

    # The photo's name as loaded from the database (avatars.signals), to tell a
    # new photo from a save that leaves it alone.
    _stored_image_name: str

    def __str__(self) -> str:
        return f"Avatar of {self.user}"

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def ready(self) -> bool:
        return self.state == State.READY and bool(self.thumbnails)


class BlockedPhoto(models.Model):
    """A photo moderators removed: its hashes, which no new photo may match
    (avatars.blocklist). Nothing of the picture itself is kept."""

    # Whose photo it was; the block outlives the account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hashes = models.CharField(max_length=120)
    blocked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "blocked photo"
        ordering = ["-blocked_at", "-pk"]

    def __str__(self) -> str:
        return f"Blocked photo #{self.pk}"
