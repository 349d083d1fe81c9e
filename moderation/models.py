from django.conf import settings
from django.db import models
from django.db.models import Q

from registration.models import User

NOTE_LENGTH = 500
REASON_LENGTH = 500


class Reason(models.TextChoices):
    OFFENSIVE_PHOTO = "offensive_photo", "Offensive photo"
    IMPERSONATION = "impersonation", "Impersonation"
    SPAM = "spam", "Spam"
    OTHER = "other", "Something else"


class Report(models.Model):
    """A member's report of a person: open until staff act on it."""

    # Kept when the reporter's account goes: the report still stands.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="reports_sent",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports_received",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=NOTE_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("moderate", "Can review reports and act on them")]
        constraints = [
            # A second report of the same person updates the first.
            models.UniqueConstraint(
                fields=["reporter", "person"],
                condition=Q(closed_at__isnull=True),
                name="report_one_open_per_reporter",
            )
        ]
        indexes = [
            models.Index(fields=["person", "closed_at"], name="report_person_idx")
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk}: {self.get_reason_display()}"


class ReportedPerson(User):
    """A person as staff review them: the admin's list of open reports."""

    class Meta:
        proxy = True
        verbose_name = "reported person"
        verbose_name_plural = "reported people"


class Action(models.TextChoices):
    DISMISS = "dismiss", "Dismissed the reports"
    REMOVE_PHOTO = "remove_photo", "Removed the photo"
    CLEAR_TEXT = "clear_text", "Cleared the bio and location"
    HIDE_PAGE = "hide_page", "Hid the page"
    SUSPEND = "suspend", "Suspended the account"
    LIFT_BLOCK = "lift_block", "Lifted a photo block"


# What staff do to a reported person (lifting a block is done to a photo).
PERSON_ACTIONS = [action for action in Action if action != Action.LIFT_BLOCK]


def keep(to: str) -> models.ForeignKey:  # type: ignore[type-arg]
    """A link that outlives its row: the id stays, no constraint holds it."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )


class AuditEntry(models.Model):
    """One moderator's action on one person. Written once, never changed; it
    keeps both usernames, and nothing the person wrote or uploaded."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    moderator = keep(settings.AUTH_USER_MODEL)
    moderator_username = models.CharField(max_length=30)
    person = keep(settings.AUTH_USER_MODEL)
    person_username = models.CharField(max_length=30)
    report = keep("moderation.Report")
    action = models.CharField(max_length=20, choices=Action.choices)
    reason = models.TextField(max_length=REASON_LENGTH)

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.moderator_username}: {self.action} {self.person_username}"
