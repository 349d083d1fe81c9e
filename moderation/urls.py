from django.urls import URLPattern, path

from moderation import views

urlpatterns: list[URLPattern] = [
    path("u/<str:username>/report/", views.report, name="report"),
]
