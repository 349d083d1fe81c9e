from django.urls import URLPattern, path

from exports import views

urlpatterns: list[URLPattern] = [
    path("accounts/export/", views.export, name="export"),
    path("accounts/export/status/", views.export_status, name="export-status"),
    path(
        "accounts/export/<uuid:export_id>/archive.zip",
        views.download,
        name="export-download",
    ),
]
