import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.files.storage import Storage, storages
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower


class UserManager(DjangoUserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique regardless of case, so "alice" logs in as "Alice".
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


# Usernames are public handles that appear in URLs: a Cyrillic "а" must not pass
# for a Latin "a", and SQLite's LOWER() folds ASCII only.
USERNAME_RULE = "3 to 30 characters: ASCII letters, digits, '.', '_' and '-'."
username_validator = RegexValidator(
    r"^[A-Za-z0-9._-]{3,30}\Z", f"Use {USERNAME_RULE}", code="invalid"
)


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=30,
        unique=True,
        validators=[username_validator],
        help_text=f"Your public name, in your page's address: {USERNAME_RULE}",
        error_messages={"unique": "That username is taken."},
    )
    # Required, where Django's is optional.
    email = models.EmailField("email address")

    objects: ClassVar[UserManager] = UserManager()

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_unique_ci",
                violation_error_message="That username is taken.",
            ),
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message="An account with that e-mail already exists.",
            ),
        ]


def uploads_storage() -> Storage:
    return storages["uploads"]


def original_upload_to(instance: "Profile", filename: str) -> str:
    # Never derived from the user's file name: the name is theirs, the disk is ours.
    return f"originals/{uuid.uuid4().hex}"


class AvatarState(models.TextChoices):
    NONE = "none", "No photo"
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


PENDING_STATES = (AvatarState.QUEUED, AvatarState.PROCESSING)


class Visibility(models.TextChoices):
    """Who sees a person's page (/u/<username>/) and them in the directory."""

    EVERYONE = "everyone", "Everyone, signed in or not"
    MEMBERS = "members", "Signed-in members"
    ONLY_ME = "only_me", "Only me"


# The choices that let a signed-in member see someone (the directory is theirs).
SEEN_BY_MEMBERS = (Visibility.EVERYONE, Visibility.MEMBERS)


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="profile",
    )
    image = models.FileField(
        "photo",
        upload_to=original_upload_to,
        storage=uploads_storage,
        blank=True,
        max_length=200,
        help_text="The uploaded original. Private: never served.",
    )
    bio = models.TextField(blank=True, max_length=300)
    location = models.CharField(max_length=100, blank=True)
    visibility = models.CharField(
        "who can see your page",
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    # The square the person chose, in the upright photo's pixels; none: the
    # centred one. Kept with the photo, so every attempt cuts the same square.
    crop_x = models.PositiveIntegerField(null=True, blank=True, editable=False)
    crop_y = models.PositiveIntegerField(null=True, blank=True, editable=False)
    crop_size = models.PositiveIntegerField(null=True, blank=True, editable=False)

    avatar_state = models.CharField(
        max_length=10, choices=AvatarState.choices, default=AvatarState.NONE
    )
    avatar_task_id = models.CharField(max_length=36, blank=True)
    avatar_error = models.CharField(max_length=300, blank=True)
    avatar_attempts = models.PositiveSmallIntegerField(default=0)
    avatar_worker_deaths = models.PositiveSmallIntegerField(
        default=0, help_text="Workers that died with this photo in flight."
    )
    avatar_worker = models.CharField(
        max_length=200, blank=True, help_text="The consumer running the task."
    )
    thumbnails = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="Where the square thumbnails are: this, then -<side in px>.webp.",
    )
    avatar_queued_at = models.DateTimeField(null=True, blank=True)
    avatar_started_at = models.DateTimeField(null=True, blank=True)
    avatar_finished_at = models.DateTimeField(null=True, blank=True)

    # The photo's name as loaded from the database (avatars.signals), to tell a
    # new photo from a save that leaves it alone.
    _stored_image_name: str

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def avatar_pending(self) -> bool:
        return self.avatar_state in PENDING_STATES

    def visible_to(self, viewer: "User | AnonymousUser") -> bool:
        """Whether `viewer` may see this person's page: its owner always."""
        if viewer.is_authenticated and viewer.pk == self.pk:
            return True
        if viewer.is_authenticated:
            return self.visibility in SEEN_BY_MEMBERS
        return self.visibility == Visibility.EVERYONE

    @property
    def avatar_ready(self) -> bool:
        return self.avatar_state == AvatarState.READY and bool(self.thumbnails)
