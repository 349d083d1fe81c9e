from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower

from avatars import models as avatar_models


class UsernameKey(Func):
    """The lower-case username in byte order: what the directory's search
    ranges over and sorts by, from one index.

    SQLite compares bytes, so its `Lower("username")` unique index serves it.
    PostgreSQL compares in the database's collation, under which a range is
    not a prefix (en_US ignores '.', '-' and '_' at first): there the key is
    collated "C", with an index of its own (migration 0009).
    """

    function = "LOWER"

    def __init__(self) -> None:
        super().__init__(F("username"), output_field=models.CharField())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = self.as_sql(compiler, connection, **extra)
        return f'({sql} COLLATE "C")', params


class UserManager(DjangoUserManager["User"]):
    """Look-ups in any case, each served by a `Lower(...)` unique index.

    `iexact` becomes LIKE on SQLite and UPPER() on PostgreSQL, which neither
    index serves: every such look-up would read the whole table.
    """

    def named(self, username: str) -> "models.QuerySet[User]":
        return self.alias(username_lower=Lower("username")).filter(
            username_lower=Lower(Value(username))
        )

    def with_email(self, email: str) -> "models.QuerySet[User]":
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=Lower(Value(email))
        )

    def by_login(self, login: str) -> "models.QuerySet[User]":
        """The account a login names, by username or by e-mail."""
        return self.alias(
            username_lower=Lower("username"), email_lower=Lower("email")
        ).filter(
            Q(username_lower=Lower(Value(login))) | Q(email_lower=Lower(Value(login)))
        )

    def get_by_natural_key(self, username: str | None) -> "User":
        # Usernames are unique regardless of case, so "alice" logs in as "Alice".
        return self.named(username or "").get()


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
        indexes = [
            # The directory, newest first, a page at a time from a cursor.
            models.Index(fields=["date_joined", "id"], name="user_joined_idx"),
            # allauth looks addresses up exactly, once lower-cased.
            models.Index(fields=["email"], name="user_email_idx"),
        ]

    def suspend(self) -> None:
        """Inactive at once (no sign-in, and the backend drops it from every
        session on the next request), and every browser it is signed in on is
        signed out once the change commits."""
        # The usersessions app imports the user model: imported when used.
        from allauth.usersessions.adapter import get_adapter
        from allauth.usersessions.models import UserSession

        User.objects.filter(pk=self.pk).update(is_active=False)
        self.is_active = False
        sessions = list(UserSession.objects.filter(user=self))
        transaction.on_commit(lambda: get_adapter().end_sessions(sessions), robust=True)


# Migration 0001 names these, from when the photo lived on the profile.
uploads_storage = avatar_models.uploads_storage
original_upload_to = avatar_models.original_upload_to


class Visibility(models.TextChoices):
    """Who sees a person's page (/u/<username>/) and them in the directory."""

    EVERYONE = "everyone", "Everyone, signed in or not"
    MEMBERS = "members", "Signed-in members"
    ONLY_ME = "only_me", "Only me"


# The choices that let a signed-in member see someone (the directory is theirs).
SEEN_BY_MEMBERS = (Visibility.EVERYONE, Visibility.MEMBERS)


class Profile(models.Model):
    """What a person writes about themselves, and who may see it. Their photo
    is their Avatar (avatars.models), made with the user like this."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="profile",
    )
    bio = models.TextField(blank=True, max_length=300)
    location = models.CharField(max_length=100, blank=True)
    visibility = models.CharField(
        "who can see your page",
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
    )
    # Set with "only me" by a moderator (moderation's hide_page): the person
    # cannot widen who sees their page until staff clear it here.
    visibility_locked = models.BooleanField(
        "visibility locked by staff",
        default=False,
        help_text="Clear it to let the person choose who sees their page again.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    def hide(self) -> None:
        """Only its owner sees the page, until staff clear the lock."""
        self.visibility, self.visibility_locked = Visibility.ONLY_ME, True
        self.save(update_fields=["visibility", "visibility_locked"])

    def clear_text(self) -> None:
        self.bio, self.location = "", ""
        self.save(update_fields=["bio", "location"])

    def visible_to(self, viewer: "User | AnonymousUser") -> bool:
        """Whether `viewer` may see this person's page: its owner always."""
        if viewer.is_authenticated and viewer.pk == self.pk:
            return True
        if viewer.is_authenticated:
            return self.visibility in SEEN_BY_MEMBERS
        return self.visibility == Visibility.EVERYONE
