from django.conf import settings
from django.urls import URLPattern, path

from avatars import views

urlpatterns: list[URLPattern] = [
    path("profile/avatar/", views.avatar_status, name="avatar-status"),
    path("profile/avatar/retry/", views.retry_avatar, name="avatar-retry"),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(path("media/<path:path>", views.media, name="media"))
