from django.contrib import admin
from django.http import HttpRequest

from exports.models import Export


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin[Export]):
    """Read-only: staff see that an archive exists and how it went, never its
    contents (no link to the file)."""

    list_display = ["user", "state", "step", "requested_at", "finished_at", "size"]
    list_filter = ["state"]
    search_fields = ["user__username"]
    ordering = ["-requested_at"]
    fields = readonly_fields = (
        "user",
        "state",
        "step",
        "error",
        "size",
        "requested_at",
        "started_at",
        "finished_at",
        "expires_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Export | None = None
    ) -> bool:
        return False
