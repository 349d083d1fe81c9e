import re
import threading

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from registration.forms import RegistrationForm
from registration.models import Profile, User

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def post(client: Client, url: str, data: dict, **extra):
    """POST, running on-commit callbacks (the enqueue) as a real commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data, **extra)


def signup(client: Client, photo: bytes | None = None, htmx: bool = True, **fields):
    data = {
        "username": "hana",
        "email": "hana@example.com",
        "password": "correct horse battery",
        **fields,
    }
    if photo is not None:
        data["image"] = SimpleUploadedFile("IMG_1234.JPG", photo, "image/jpeg")
    return post(client, reverse("register"), data, **(HTMX if htmx else {}))


def avatar_element(html: str) -> str:
    match = re.search(r'<div id="avatar".*?>', html, re.S)
    assert match, html
    return match.group(0)


def test_signup_page_has_the_form_posting_through_htmx_with_csrf(client):
    response = client.get(reverse("register"))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ["username", "email", "password", "image"]:
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
    assert user.profile.avatar_state == "queued"
    assert [task.args[0] for task in HUEY.pending()] == [user.pk]


def test_plain_post_signup_redirects(client, photo_jpeg):
    response = signup(client, photo_jpeg, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == "/profile/"


def test_htmx_errors_come_back_in_place_with_status_200(client):
    User.objects.create_user("Hana", "someone@example.com", "x")
    response = signup(client, b"not an image at all", password="123")
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


def test_photo_over_the_limit_is_refused_with_its_size(client, settings):
    oversized = b"\xff\xd8\xff" + b"\0" * (settings.AVATAR_MAX_UPLOAD_BYTES + 1024)
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
        {"username": "ivan", "email": "ivan@example.com", "password": "correct horse"},
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
    assert client.get("/profile/")["Location"].startswith("/login/")
    assert client.get("/profile/avatar/")["Location"].startswith("/login/")


def test_login_ignores_username_case_and_logout_is_a_post(client):
    User.objects.create_user("Kim", "kim@example.com", "correct horse")
    response = client.post("/login/", {"username": "kim", "password": "correct horse"})
    assert response["Location"] == "/profile/"
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/")["Location"] == "/login/"
    assert client.get("/profile/").status_code == 302


def test_without_photo_profile_shows_the_default_avatar(client):
    signup(client)
    html = client.get("/profile/").content.decode()
    element = avatar_element(html)
    assert 'data-state="none"' in element
    assert "hx-get" not in element
    assert "default-avatar.svg" in html


def test_queued_avatar_polls_fast_first_then_steadily(client, photo_jpeg, settings):
    signup(client, photo_jpeg)

    page = client.get("/profile/").content.decode()
    fragment = client.get("/profile/avatar/", **HTMX)
    Profile.objects.update(
        avatar_queued_at=timezone.now() - settings.AVATAR_FAST_POLL_FOR
    )
    later = client.get("/profile/avatar/", **HTMX).content.decode()

    element = avatar_element(page)
    assert 'data-state="queued"' in element
    assert 'hx-get="/profile/avatar/"' in element
    first, fast = settings.AVATAR_FIRST_POLL_MS, settings.AVATAR_FAST_POLL_MS
    steady = settings.AVATAR_POLL_MS
    assert fast < steady <= 1000
    assert f'hx-trigger="load delay:{first}ms, every {fast}ms"' in element
    assert 'hx-swap="outerHTML"' in element
    assert 'aria-live="polite"' in element
    assert "Waiting for a worker…" in page
    assert fragment.status_code == 200
    body = fragment.content.decode().strip()
    assert body.startswith('<div id="avatar"') and body.endswith("</div>")
    assert f'hx-trigger="every {fast}ms"' in avatar_element(body)
    assert f'hx-trigger="every {steady}ms"' in avatar_element(later)


def finish_resize(profile: Profile) -> None:
    """Play the worker's part: start, write thumbnails, store the outcome."""
    Profile.objects.filter(pk=profile.pk).update(avatar_state="processing")
    media = storages["default"]
    outcome = {
        "image": profile.image.name,
        "thumbnail": media.save("avatars/t.webp", ContentFile(b"RIFF-1x")),
        "thumbnail_2x": media.save("avatars/t-2x.webp", ContentFile(b"RIFF-2x")),
    }
    HUEY.put_result(profile.avatar_task_id, outcome)


def test_ready_fragment_is_the_thumbnail_and_stops_polling(client, photo_jpeg):
    signup(client, photo_jpeg)
    profile = Profile.objects.get()
    finish_resize(profile)

    fragment = client.get("/profile/avatar/", **HTMX)
    html = fragment.content.decode()

    assert fragment.status_code == 286
    element = avatar_element(html)
    assert 'data-state="ready"' in element
    assert "hx-trigger" not in element and "hx-get" not in element
    profile.refresh_from_db()
    assert f'src="/media/{profile.thumbnail.name}"' in html
    assert f"/media/{profile.thumbnail_2x.name} 2x" in html
    assert 'alt="Profile photo of hana"' in html
    # Recorded once: the result store no longer holds it, the row does.
    assert HUEY.result(profile.avatar_task_id) is None
    assert 'data-state="ready"' in client.get("/profile/").content.decode()


def test_failed_fragment_shows_a_human_message(client, photo_jpeg):
    signup(client, photo_jpeg)
    profile = Profile.objects.get()
    Profile.objects.update(avatar_state="processing")
    HUEY.put_result(
        profile.avatar_task_id,
        {"image": profile.image.name, "error": "This photo file is damaged."},
    )
    fragment = client.get("/profile/avatar/", **HTMX)
    assert fragment.status_code == 286
    assert 'data-state="failed"' in avatar_element(fragment.content.decode())
    assert "This photo file is damaged." in fragment.content.decode()


def test_thumbnails_are_served_and_originals_are_not(client, photo_jpeg):
    signup(client, photo_jpeg)
    profile = Profile.objects.get()
    finish_resize(profile)
    client.get("/profile/avatar/", **HTMX)
    profile.refresh_from_db()

    thumbnail = client.get(profile.thumbnail.url)
    assert thumbnail.status_code == 200
    assert b"".join(thumbnail.streaming_content) == b"RIFF-1x"
    assert "immutable" in thumbnail["Cache-Control"]
    for guess in [
        f"/media/{profile.image.name}",
        f"/media/../uploads/{profile.image.name}",
        f"/media/%2e%2e/uploads/{profile.image.name}",
    ]:
        assert client.get(guess).status_code == 404, guess


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
    assert HUEY.pending() == []
    assert Profile.objects.get().avatar_state == "queued"


def test_replacing_the_photo_shows_the_live_status_again(client, photo_jpeg):
    signup(client, photo_jpeg)
    profile = Profile.objects.get()
    finish_resize(profile)
    client.get("/profile/avatar/", **HTMX)

    response = post(
        client,
        "/profile/",
        {
            "bio": "x",
            "location": "",
            "image": SimpleUploadedFile("new.jpg", photo_jpeg, "image/jpeg"),
        },
        **HTMX,
    )
    element = avatar_element(response.content.decode())
    assert 'data-state="queued"' in element
    assert "hx-get" in element
    assert len(HUEY.pending()) == 2


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
    assert Profile.objects.get().avatar_state == "none"


def test_signup_that_loses_a_race_names_the_taken_field(client, monkeypatch):
    real_save = RegistrationForm.save

    def rival_commits_between_validation_and_save(self, commit=True):
        User.objects.create_user("ALICE", "rival@example.com", "x")
        return real_save(self, commit)

    monkeypatch.setattr(
        RegistrationForm, "save", rival_commits_between_validation_and_save
    )
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
    assert "That username is taken." in refused.content.decode()


def test_healthz_reports_database_queue_and_worker(client):
    from avatars import recovery

    absent = client.get("/healthz")
    recovery.beat()
    alive = client.get("/healthz")

    assert absent.status_code == 200
    assert absent.json()["database"] == "ok" and absent.json()["queue"] == "ok"
    assert absent.json()["worker"] == "absent"
    assert alive.json()["worker"] == "alive"


def test_terminal_poll_costs_one_query_no_session_write_no_store_read(
    client, photo_jpeg, django_assert_num_queries, monkeypatch
):
    signup(client, photo_jpeg)
    profile = Profile.objects.get()
    finish_resize(profile)
    client.get("/profile/avatar/", **HTMX)  # records the outcome

    def no_store_reads(*args, **kwargs):
        raise AssertionError("the result store was read for a terminal state")

    monkeypatch.setattr(HUEY, "result", no_store_reads)
    with django_assert_num_queries(1):
        response = client.get("/profile/avatar/", **HTMX)

    assert response.status_code == 286
    assert "sessionid" not in response.cookies


def test_queued_poll_costs_one_query_and_no_result_store_read(
    client, photo_jpeg, django_assert_num_queries, monkeypatch
):
    signup(client, photo_jpeg)

    def no_store_reads(*args, **kwargs):
        raise AssertionError("the result store was read for a queued photo")

    monkeypatch.setattr(HUEY, "result", no_store_reads)
    with django_assert_num_queries(1):
        response = client.get("/profile/avatar/", **HTMX)
    assert 'data-state="queued"' in response.content.decode()
    assert "sessionid" not in response.cookies
