from django.conf import settings
from django.urls import URLPattern, path, register_converter

from avatars import views


class InitialsConverter:
    regex = "[A-Z0-9]{0,2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(InitialsConverter, "initials")

urlpatterns: list[URLPattern] = [
    path("profile/avatar/", views.avatar_status, name="avatar-status"),
    path("profile/avatar/retry/", views.retry_avatar, name="avatar-retry"),
    path("profile/avatar/remove/", views.remove_avatar, name="avatar-remove"),
    path(
        "avatars/initials/<int:colour>-<initials:initials>.svg",
        views.initials_avatar,
        name="avatar-initials",
    ),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(path("media/<path:path>", views.media, name="media"))
