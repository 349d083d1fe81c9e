from allauth.account import views as account_views
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from registration import mfa, views

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
    # Ours first: allauth's sessions page can only sign out every other one.
    path("accounts/sessions/", views.sessions, name="usersessions_list"),
    path("accounts/delete/", views.delete_account, name="account_delete"),
    # Ours first: allauth's, with the address still to confirm and the trust.
    path("accounts/2fa/", mfa.index, name="mfa_index"),
    path("accounts/", include("allauth.urls")),
    path("profile/", views.profile, name="profile"),
    path("u/<str:username>/", views.person, name="person"),
    path("people/", views.people, name="people"),
]
