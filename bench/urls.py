from django.urls import path

from bench.views import naive_avatar
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("bench/naive-avatar/", naive_avatar, name="bench-naive-avatar"),
]
