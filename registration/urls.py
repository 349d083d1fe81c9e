from allauth.account import views as account_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from registration import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("register/", views.signup, name="register"),
    # The addresses from before allauth keep working.
    path(
        "login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="login",
    ),
    path("logout/", account_views.logout, name="logout"),
    path("accounts/", include("allauth.urls")),
    path("profile/", views.profile, name="profile"),
]
