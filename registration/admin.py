from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from registration.models import Profile, User

admin.site.register(User, UserAdmin)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin[Profile]):
    """What a person writes about themselves; their photo is under Avatars."""

    list_display = ["user", "visibility", "location"]
    list_filter = ["visibility"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    readonly_fields = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with the user, never by hand
