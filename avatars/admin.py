from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from avatars import state
from avatars.models import Avatar

# The pipeline's own fields: listed, and never edited by hand (state.py writes them).
PIPELINE_FIELDS = [
    "state",
    "attempts",
    "worker_deaths",
    "error",
    "task_id",
    "worker",
    "queued_at",
    "started_at",
    "finished_at",
]


@admin.register(Avatar)
class AvatarAdmin(admin.ModelAdmin[Avatar]):
    list_display = ["user", *PIPELINE_FIELDS]
    list_filter = ["state"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "task_id"]
    readonly_fields = [
        *PIPELINE_FIELDS,
        "thumbnails",
        "crop_x",
        "crop_y",
        "crop_size",
    ]
    actions = ["requeue_photos"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with the user, never by hand

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Avatar | None:
        avatar = super().get_object(request, object_id, from_field)
        return state.refresh(avatar) if avatar else avatar

    @admin.action(description="Re-enqueue the photo of the selected avatars")
    def requeue_photos(self, request: HttpRequest, queryset: QuerySet[Avatar]) -> None:
        requeued = 0
        with transaction.atomic():
            for avatar in queryset:
                requeued += state.requeue(avatar)
        skipped = queryset.count() - requeued
        self.message_user(
            request,
            f"Re-enqueued {requeued} photo(s)."
            + (f" {skipped} had no original left to process." if skipped else ""),
            messages.SUCCESS if requeued else messages.WARNING,
        )
