from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from registration.models import Profile, User

admin.site.register(User, UserAdmin)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "avatar_state",
        "avatar_task_id",
        "avatar_error",
        "avatar_queued_at",
        "avatar_finished_at",
    ]
    list_filter = ["avatar_state"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = [
        "avatar_state",
        "avatar_task_id",
        "avatar_error",
        "thumbnail",
        "thumbnail_2x",
        "avatar_queued_at",
        "avatar_started_at",
        "avatar_finished_at",
    ]
