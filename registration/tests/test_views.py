import re
import threading

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from avatars.conf import conf
from avatars.models import Avatar
from registration.forms import SignupForm
from registration.models import Profile, User
from testing.client import HTMX, avatar_element, queued_resizes, signup

pytestmark = pytest.mark.django_db


def test_signup_page_has_the_form_posting_through_htmx_with_csrf(client):
    response = client.get(reverse("register"))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ["username", "email", "password1", "image"]:
        assert f'name="{name}"' in html
    assert 'hx-post="/register/"' in html
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'hx-headers=\'\{"x-csrftoken": "[^"]+"\}\'', html)
    assert "csrfmiddlewaretoken" in html  # the plain POST works without JavaScript
    assert "/static/django_htmx/htmx" in html  # served by us, no CDN
    assert "https://" not in html


def test_htmx_signup_logs_in_and_redirects_to_profile_without_waiting(
    client, photo_jpeg
):
    response = signup(client, photo_jpeg)

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/profile/"
    user = User.objects.get(username="hana")
    assert int(client.session["_auth_user_id"]) == user.pk
    # Nothing ran the resize: the response came back before any image work.
    assert user.avatar.state == "queued"
    assert [task.args[0] for task in queued_resizes()] == [user.pk]


def test_plain_post_signup_redirects(client, photo_jpeg):
    response = signup(client, photo_jpeg, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_htmx_errors_come_back_in_place_with_status_200(client):
    User.objects.create_user("Hana", "someone@example.com", "x")
    response = signup(client, b"not an image at all", password1="123")
    html = response.content.decode()

    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="signup-form"')
    assert "<html" not in html
    assert "That username is taken." in html
    assert "This password is too short" in html
    assert 'value="hana@example.com"' in html  # what was typed is kept
    assert User.objects.count() == 1


def test_plain_post_errors_render_the_whole_page(client):
    response = signup(client, htmx=False, email="not-an-email")
    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert "Enter a valid email address." in response.content.decode()


def test_refused_photo_creates_no_user(client):
    response = signup(client, b"GIF89a but not really")
    assert response.status_code == 200
    assert not User.objects.exists()
    assert not Profile.objects.exists()
    assert not Avatar.objects.exists()


def test_photo_over_the_limit_is_refused_with_its_size(client):
    oversized = b"\xff\xd8\xff" + b"\0" * (conf.MAX_UPLOAD_BYTES + 1024)
    response = signup(client, oversized)
    html = response.content.decode()
    assert "This file is 20.0 MB; a photo can be at most 20 MB." in html
    assert not User.objects.exists()


def test_csrf_is_enforced_and_htmx_header_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("register")).content.decode()
    token = re.search(r'"x-csrftoken": "([^"]+)"', page).group(1)

    refused = signup(client)
    accepted = client.post(
        reverse("register"),
        {
            "username": "ivan",
            "email": "ivan@example.com",
            "password1": "correct horse battery",
        },
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert accepted["HX-Redirect"] == "/profile/"


def test_home_sends_visitors_to_signup_and_members_to_profile(client):
    assert client.get("/")["Location"] == "/register/"
    client.force_login(User.objects.create_user("jo", "jo@example.com", "x"))
    assert client.get("/")["Location"] == "/profile/"


def test_profile_needs_login(client):
    assert client.get("/profile/")["Location"].startswith("/accounts/login/")
    assert client.get("/profile/avatar/")["Location"].startswith("/accounts/login/")


def test_login_ignores_username_case_and_logout_is_a_post(client):
    User.objects.create_user("Kim", "kim@example.com", "correct horse")
    response = client.post(
        "/accounts/login/", {"login": "kim", "password": "correct horse"}
    )
    assert response["Location"] == "/profile/"
    assert client.get("/logout/").status_code == 200  # asks; does not log out
    assert client.get("/profile/").status_code == 200
    assert client.post("/logout/")["Location"] == "/accounts/login/"
    assert client.get("/profile/").status_code == 302


@pytest.mark.parametrize("login", ["kim@example.com", "KIM@Example.COM", "KIM"])
def test_login_by_username_or_email_in_any_case(client, login):
    User.objects.create_user("Kim", "kim@example.com", "correct horse")
    response = client.post(
        "/accounts/login/", {"login": login, "password": "correct horse"}
    )
    assert response["Location"] == "/profile/"


def test_the_old_login_address_leads_to_the_login_page(client):
    response = client.get("/login/?next=/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/profile/"


def test_without_photo_profile_shows_the_default_avatar(client):
    signup(client)
    html = client.get("/profile/").content.decode()
    element = avatar_element(html)
    assert 'data-state="none"' in element
    assert "hx-get" not in element
    # The avatar itself is the initials (the page's favicon is not the avatar).
    shown = re.search(r'<div id="avatar".*?<img ([^>]*)>', html, re.S)
    assert shown, html
    assert 'class="avatar-img avatar-img--initials"' in shown.group(1)
    assert re.search(r'src="/avatars/initials/\d+-H\.svg"', shown.group(1))
    assert 'alt="hana has no profile photo yet"' in shown.group(1)


def test_profile_edit_keeps_the_photo_and_enqueues_nothing(client, photo_jpeg):
    signup(client, photo_jpeg)
    HUEY.flush()
    response = client.post(
        "/profile/", {"bio": "Hello there", "location": "Lisbon"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="profile"')
    assert "Saved." in html and "Hello there" in html and "Lisbon" in html
    assert queued_resizes() == []
    assert Avatar.objects.get().state == "queued"


def test_profile_edit_without_javascript_redirects(client):
    signup(client)
    response = client.post("/profile/", {"bio": "Plain", "location": ""})
    assert response.status_code == 302
    assert Profile.objects.get().bio == "Plain"


def test_profile_edit_refuses_a_bad_photo_in_place(client):
    signup(client)
    response = client.post(
        "/profile/",
        {"bio": "x", "image": SimpleUploadedFile("a.jpg", b"nope")},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'class="errors"' in response.content.decode()
    assert Avatar.objects.get().state == "none"


def test_signup_that_loses_a_race_names_the_taken_field(client, monkeypatch):
    real_save = SignupForm.save

    def rival_commits_between_validation_and_save(self, request):
        User.objects.create_user("ALICE", "rival@example.com", "x")
        return real_save(self, request)

    monkeypatch.setattr(SignupForm, "save", rival_commits_between_validation_and_save)
    response = signup(client, username="alice", email="alice@example.com")

    assert response.status_code == 200
    assert "That username is taken." in response.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["ALICE"]


@pytest.mark.django_db(transaction=True)
def test_parallel_signups_differing_only_in_case_make_one_user():
    barrier = threading.Barrier(2)
    responses = []

    def sign_up_as(username: str) -> None:
        client = Client()
        barrier.wait()
        responses.append(
            signup(client, username=username, email=f"{username}@example.com")
        )
        connection.close()

    threads = [threading.Thread(target=sign_up_as, args=(n,)) for n in ("Zoe", "zoe")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert User.objects.count() == 1
    assert sorted(response.has_header("HX-Redirect") for response in responses) == [
        False,
        True,
    ]
    refused = next(r for r in responses if not r.has_header("HX-Redirect"))
    # The two also share an address, in another case: whichever check finds the
    # other's committed row first says so.
    errors = re.findall(r"<li>([^<]+)</li>", refused.content.decode())
    assert {
        "That username is taken.",
        "An account with that e-mail already exists.",
    } & set(errors), errors


def test_password_change_asks_for_the_current_one_and_ends_other_sessions(client):
    user = User.objects.create_user("una", "una@example.com", "old password 1")
    client.force_login(user)
    elsewhere = Client()
    elsewhere.force_login(user)
    new = {"password1": "new password 22", "password2": "new password 22"}

    wrong = client.post("/accounts/password/change/", {"oldpassword": "nope", **new})
    right = client.post(
        "/accounts/password/change/", {"oldpassword": "old password 1", **new}
    )

    assert wrong.status_code == 200
    assert "Please type your current password." in wrong.content.decode()
    assert right.status_code == 302
    assert client.get("/profile/").status_code == 200  # this browser stays in
    assert elsewhere.get("/profile/").status_code == 302  # the other is out


def test_mandatory_verification_sign_up_reveals_no_address(
    client, settings, monkeypatch
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    User.objects.create_user("owner", "taken@example.com", "x")
    hashes = []
    real_encode = MD5PasswordHasher.encode
    monkeypatch.setattr(
        MD5PasswordHasher,
        "encode",
        lambda self, password, salt: (
            hashes.append(1) or real_encode(self, password, salt)
        ),
    )

    new = signup(Client(), username="fresh", email="fresh@example.com")
    hashed_for_new = len(hashes)
    taken = signup(Client(), username="squat", email="Taken@Example.com")

    assert new.status_code == taken.status_code == 200
    assert new["HX-Redirect"] == taken["HX-Redirect"] == "/accounts/confirm-email/"
    assert len(hashes) == 2 * hashed_for_new == 2  # the duplicate path hashes too
    assert not User.objects.filter(username="squat").exists()


def test_optional_verification_sign_up_says_the_address_is_taken(client):
    User.objects.create_user("owner", "taken@example.com", "x")

    response = signup(client, username="squat", email="Taken@Example.com")

    assert "An account with that e-mail already exists." in response.content.decode()


def test_the_login_answers_alike_for_known_and_unknown_addresses():
    User.objects.create_user("kim", "kim@example.com", "correct horse")

    known = Client().post(
        "/accounts/login/", {"login": "kim@example.com", "password": "wrong one"}
    )
    unknown = Client().post(
        "/accounts/login/", {"login": "nobody@example.com", "password": "wrong one"}
    )

    def without_tokens(html: str) -> str:
        """The page less what differs on every answer: CSRF tokens, nonces."""
        html = re.sub(r'value="[^"]*"', "", html)
        html = re.sub(r'nonce="[^"]*"|"x-csrftoken": "[^"]*"', "", html)
        return re.sub(r'defer "[^"]*"', "defer", html)

    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.content.decode()).replace(
        "kim@example.com", "X"
    ) == without_tokens(unknown.content.decode()).replace("nobody@example.com", "X")
