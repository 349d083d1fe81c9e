from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from config import metrics, views

# The admin's own login form has no attempt limits: send people to the site's.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns: list[URLPattern | URLResolver] = [
    # Before allauth's accounts/ (in registration's), which would 404 it first.
    path("", include("exports.urls")),
    path("", include("registration.urls")),
    path("", include("avatars.urls")),
    path("", include("moderation.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
]
