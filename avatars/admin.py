from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from avatars import state
from registration.models import Profile

# The pipeline's own fields: listed, and never edited by hand (state.py writes them).
PIPELINE_FIELDS = [
    "avatar_state",
    "avatar_attempts",
    "avatar_worker_deaths",
    "avatar_error",
    "avatar_task_id",
    "avatar_worker",
    "avatar_queued_at",
    "avatar_started_at",
    "avatar_finished_at",
]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    list_display = ["user", *PIPELINE_FIELDS]
    list_filter = ["avatar_state"]
    search_fields = ["user__username", "user__email", "avatar_task_id"]
    readonly_fields = [
        *PIPELINE_FIELDS,
        "thumbnails",
        "crop_x",
        "crop_y",
        "crop_size",
    ]
    actions = ["requeue_photos"]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Profile | None:
        profile = super().get_object(request, object_id, from_field)
        return state.refresh(profile) if profile else profile

    @admin.action(description="Re-enqueue the photo of the selected profiles")
    def requeue_photos(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        requeued = 0
        with transaction.atomic():
            for profile in queryset:
                requeued += state.requeue(profile)
        skipped = queryset.count() - requeued
        self.message_user(
            request,
            f"Re-enqueued {requeued} photo(s)."
            + (f" {skipped} had no original left to process." if skipped else ""),
            messages.SUCCESS if requeued else messages.WARNING,
        )
