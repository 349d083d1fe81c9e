import re

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from huey.contrib.djhuey import HUEY

from avatars.models import Avatar
from testing.client import HTMX, avatar_element, post, queued_resizes, signup
from testing.thumbnails import any_exist, write_thumbnails

pytestmark = pytest.mark.django_db


def test_queued_avatar_polls_in_place_with_its_status(client, photo_jpeg):
    signup(client, photo_jpeg)

    page = client.get("/profile/").content.decode()
    fragment = client.get("/profile/avatar/", {"said": "queued"}, **HTMX)

    element = avatar_element(page)
    assert 'data-state="queued"' in element
    assert 'hx-get="/profile/avatar/"' in element
    assert 'hx-trigger="every ' in element
    assert 'hx-swap="outerHTML"' in element
    assert "aria-live" not in element  # replaced by each poll: not a live region
    assert 'hx-include="#avatar-said"' in element
    assert "Waiting for a worker…" in page
    assert fragment.status_code == 200
    body = fragment.content.decode().strip()
    assert body.startswith('<div id="avatar"') and body.endswith("</div>")
    assert 'hx-trigger="every ' in avatar_element(body)


def test_the_announcement_changes_only_when_the_state_does(client, photo_jpeg):
    signup(client, photo_jpeg)

    page = client.get("/profile/").content.decode()
    same = client.get("/profile/avatar/", {"said": "queued"}, **HTMX).content.decode()
    Avatar.objects.update(state="processing")
    moved = client.get("/profile/avatar/", {"said": "queued"}, **HTMX).content.decode()

    region = re.search(r'<p id="avatar-announcement"[^>]*>([^<]*)</p>', page)
    assert region and 'role="status"' in region.group(0)
    assert region.group(1) == "Your photo is waiting its turn."
    assert 'name="said" value="queued"' in page
    assert 'id="avatar-announcement"' not in same
    assert 'id="avatar-said"' not in same
    assert (
        '<p id="avatar-announcement" class="visually-hidden" role="status"'
        ' hx-swap-oob="innerHTML">Processing your photo…</p>'
    ) in moved
    assert 'value="processing" hx-swap-oob="true"' in moved


def test_a_failure_and_remove_photo_are_announced(client, photo_jpeg):
    signup(client, photo_jpeg)
    Avatar.objects.update(state="failed", error="That file is not a photo.")

    failed = client.get("/profile/avatar/", {"said": "processing"}, **HTMX)
    removed = post(client, "/profile/avatar/remove/", {}, **HTMX)

    assert (
        'hx-swap-oob="innerHTML">Your photo could not be used. That file is not a'
        " photo.</p>"
    ) in failed.content.decode()
    assert (
        'hx-swap-oob="innerHTML">No photo: your initials show instead.</p>'
        in removed.content.decode()
    )


def finish_resize(avatar: Avatar) -> None:
    """Play the worker's part: start, write thumbnails, store the outcome."""
    Avatar.objects.filter(pk=avatar.pk).update(state="processing")
    outcome = {"image": avatar.image.name, "thumbnails": write_thumbnails()}
    HUEY.put_result(avatar.task_id, outcome)


def test_ready_fragment_is_the_thumbnail_and_stops_polling(client, photo_jpeg):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    finish_resize(avatar)

    fragment = client.get("/profile/avatar/", **HTMX)
    html = fragment.content.decode()

    assert fragment.status_code == 286
    element = avatar_element(html)
    assert 'data-state="ready"' in element
    assert "hx-trigger" not in element and "hx-get" not in element
    avatar.refresh_from_db()
    assert f'src="/media/{avatar.thumbnails}-300.webp"' in html
    assert f"/media/{avatar.thumbnails}-600.webp 2x" in html
    assert 'width="300" height="300"' in html
    assert 'alt="Profile photo of hana"' in html
    # Recorded once: the result store no longer holds it, the row does.
    assert HUEY.result(avatar.task_id) is None
    assert 'data-state="ready"' in client.get("/profile/").content.decode()


def test_failed_fragment_shows_a_human_message(client, photo_jpeg):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    Avatar.objects.update(state="processing")
    HUEY.put_result(
        avatar.task_id,
        {"image": avatar.image.name, "error": "This photo file is damaged."},
    )
    fragment = client.get("/profile/avatar/", **HTMX)
    assert fragment.status_code == 286
    assert 'data-state="failed"' in avatar_element(fragment.content.decode())
    assert "This photo file is damaged." in fragment.content.decode()


def test_thumbnails_are_served_and_originals_are_not(client, photo_jpeg):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    finish_resize(avatar)
    client.get("/profile/avatar/", **HTMX)
    avatar.refresh_from_db()

    thumbnail = client.get(f"/media/{avatar.thumbnails}-300.webp")
    assert thumbnail.status_code == 200
    assert b"".join(thumbnail.streaming_content) == b"RIFF-300"
    assert "immutable" in thumbnail["Cache-Control"]
    for guess in [
        f"/media/{avatar.image.name}",
        f"/media/../uploads/{avatar.image.name}",
        f"/media/%2e%2e/uploads/{avatar.image.name}",
    ]:
        assert client.get(guess).status_code == 404, guess


def test_terminal_poll_costs_one_query_no_session_write_no_store_read(
    client, photo_jpeg, django_assert_num_queries, monkeypatch
):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    finish_resize(avatar)
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


def test_replacing_the_photo_shows_the_live_status_again(client, photo_jpeg):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    finish_resize(avatar)
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
    assert len(queued_resizes()) == 2


def test_the_initials_avatar_is_an_svg_cached_for_good(client):
    response = client.get("/avatars/initials/3-AB.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "immutable" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert ">AB</text>" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/initials/99-AB.svg",
        "/avatars/initials/3-ab.svg",
        "/avatars/initials/3-ABC.svg",
        "/avatars/initials/3-%3Cscript%3E.svg",
    ],
)
def test_no_other_initials_avatar_exists(client, path):
    assert client.get(path).status_code == 404


def test_someone_without_a_ready_photo_shows_their_initials(client, photo_jpeg):
    signup(client, photo_jpeg)  # queued, not ready
    Avatar.objects.update(state="failed")

    html = client.get("/profile/avatar/", **HTMX).content.decode()

    assert 'src="/avatars/initials/' in html
    assert "-H.svg" in html
    assert 'width="300" height="300"' in html
    assert 'alt="hana has no profile photo yet"' in html


def test_remove_photo_goes_back_to_the_initials_and_removes_the_files(
    client, photo_jpeg
):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    finish_resize(avatar)
    client.get("/profile/avatar/", **HTMX)  # records it: ready
    avatar.refresh_from_db()
    stem = avatar.thumbnails

    response = post(client, "/profile/avatar/remove/", {}, **HTMX)

    html = response.content.decode()
    assert 'data-state="none"' in avatar_element(html)
    assert "/avatars/initials/" in html
    assert "Remove photo" not in html
    avatar.refresh_from_db()
    assert (avatar.thumbnails, avatar.image.name, avatar.task_id) == (
        "",
        "",
        "",
    )
    assert not any_exist(stem)


def test_remove_photo_while_it_is_processing_stores_nothing_later(
    client, photo_jpeg, django_capture_on_commit_callbacks
):
    from avatars import state

    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    task_id, original = avatar.task_id, avatar.image.name

    post(client, "/profile/avatar/remove/", {})

    # The running resize now finds its task is no longer the profile's.
    written = write_thumbnails()
    assert not state.claim_thumbnails(avatar.pk, original, task_id, written)
    assert not storages["uploads"].exists(original)


def test_remove_photo_is_a_post_for_members(client):
    assert client.post("/profile/avatar/remove/").status_code == 302  # to log in
    signup(client)
    assert client.get("/profile/avatar/remove/").status_code == 405
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    assert csrf_client.post("/profile/avatar/remove/").status_code == 403


def test_the_last_poll_also_changes_the_top_bars_avatar(client, photo_jpeg):
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    page = client.get("/profile/").content.decode()
    queued = client.get("/profile/avatar/", {"said": "queued"}, **HTMX).content.decode()
    finish_resize(avatar)

    final = client.get("/profile/avatar/", **HTMX).content.decode()

    assert 'id="header-avatar"' in page and "hx-swap-oob" not in page
    assert "hx-swap-oob" not in queued  # not while it is still pending
    avatar.refresh_from_db()
    assert '<span id="header-avatar" hx-swap-oob="true">' in final
    assert f"/media/{avatar.thumbnails}-32.webp" in final
    assert f"/media/{avatar.thumbnails}-64.webp 2x" in final
