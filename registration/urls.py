from django.contrib.auth import views as auth_views
from django.urls import URLPattern, path

from registration import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
]
