from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from registration import views

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("profile/avatar/", views.avatar_status, name="avatar-status"),
    path("profile/avatar/retry/", views.retry_avatar, name="avatar-retry"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
if settings.SERVE_MEDIA:
    urlpatterns.append(path("media/<path:path>", views.media, name="media"))
