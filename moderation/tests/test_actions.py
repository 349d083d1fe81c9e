"""Each action's effect on the person, the e-mail that tells them (never who
reported them), its audit entry, and the reports it closes."""

import io

import pytest
from allauth.core import context
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core import mail
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from avatars import blocklist, fingerprints, images
from avatars.models import Avatar, BlockedPhoto, State
from avatars.state import attach_photo, claim_thumbnails, mark_processing
from moderation import actions
from moderation.models import Action, AuditEntry, Report
from registration.models import Profile, User, Visibility
from registration.tests.test_account import log_in
from registration.tests.test_people import PASSWORD, member, signed_in_as
from testing import image_factory
from testing.mail import deliver
from testing.thumbnails import any_exist, write_thumbnails

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator() -> User:
    return User.objects.create_user("mona", "mona@example.com", PASSWORD)


@pytest.fixture
def paula() -> User:
    person = member("paula", Visibility.EVERYONE)
    Profile.objects.filter(pk=person.pk).update(bio="Hi there", location="Lisbon")
    return User.objects.select_related("profile", "avatar").get(pk=person.pk)


def reported(person: User, by: str = "rita") -> Report:
    return Report.objects.create(
        reporter=member(by), person=person, reason="spam", note=f"sent by {by}"
    )


def act(moderator: User, action: Action, person: User, capture) -> AuditEntry:
    request = RequestFactory().post("/admin/")
    request.user = moderator
    # allauth's middleware names the request for its adapter, in the admin.
    with context.request_context(request), capture(execute=True):
        entry = actions.act(request, action, person, "Against the rules")
    deliver()
    return entry


def test_remove_photo_deletes_its_files_and_shows_the_initials(
    moderator, paula, photo_jpeg, django_capture_on_commit_callbacks
):
    stem = write_thumbnails()
    paula.avatar.state, paula.avatar.thumbnails = State.READY, stem
    paula.avatar.save(update_fields=["state", "thumbnails"])
    report = reported(paula)

    entry = act(
        moderator, Action.REMOVE_PHOTO, paula, django_capture_on_commit_callbacks
    )

    paula.avatar.refresh_from_db()
    assert (paula.avatar.state, paula.avatar.thumbnails) == (State.NONE, "")
    assert not any_exist(stem)
    assert "avatar-img--initials" in Client().get("/u/paula/").content.decode()
    assert (entry.action, entry.report_id, entry.reason) == (
        Action.REMOVE_PHOTO,
        report.pk,
        "Against the rules",
    )
    assert (entry.moderator_username, entry.person_username) == ("mona", "paula")
    (message,) = mail.outbox
    assert message.to == ["paula.secret@example.com"]
    assert "We removed your profile photo" in message.body
    assert "Against the rules" in message.body
    assert "rita" not in message.body + message.alternatives[0][0]


def test_a_removed_photo_goes_on_the_blocklist_and_the_email_says_so(
    moderator, paula, django_capture_on_commit_callbacks
):
    hashes = images.Hashes()
    data = image_factory.jpeg_from(image_factory.scene(seed=31))
    images.make_thumbnails(io.BytesIO(data), hashes=hashes)
    kept = fingerprints.as_text(hashes.kept())
    Avatar.objects.filter(pk=paula.pk).update(
        state=State.READY, thumbnails=write_thumbnails(), hashes=kept
    )

    act(moderator, Action.REMOVE_PHOTO, paula, django_capture_on_commit_callbacks)

    (entry,) = BlockedPhoto.objects.all()
    assert (entry.user, entry.hashes) == (paula, kept)
    assert blocklist.is_blocked(hashes)
    (message,) = mail.outbox
    assert "The same photo cannot be uploaded again." in message.body


def test_a_resize_running_when_the_photo_is_removed_cannot_claim(
    moderator, paula, photo_jpeg, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attach_photo(paula.avatar, SimpleUploadedFile("p.jpg", photo_jpeg), None)
    original, task_id = paula.avatar.image.name, paula.avatar.task_id
    mark_processing(paula.pk, task_id, "worker-1")

    act(moderator, Action.REMOVE_PHOTO, paula, django_capture_on_commit_callbacks)

    assert not storages["uploads"].exists(original)  # the original too
    assert not claim_thumbnails(paula.pk, original, task_id, write_thumbnails())
    paula.avatar.refresh_from_db()
    assert (paula.avatar.state, paula.avatar.thumbnails) == (State.NONE, "")


def test_clear_text_empties_the_bio_and_location(
    moderator, paula, django_capture_on_commit_callbacks
):
    act(moderator, Action.CLEAR_TEXT, paula, django_capture_on_commit_callbacks)

    profile = Profile.objects.get(pk=paula.pk)
    assert (profile.bio, profile.location) == ("", "")
    page = Client().get("/u/paula/").content.decode()
    assert "Hi there" not in page and "Lisbon" not in page
    (message,) = mail.outbox
    assert "We cleared the bio and location" in message.body
    assert AuditEntry.objects.get().action == Action.CLEAR_TEXT


def test_hide_page_leaves_it_to_its_owner_locked(
    moderator, paula, django_capture_on_commit_callbacks
):
    viewer = signed_in_as(member("vic"))
    assert "paula" in viewer.get("/people/").content.decode()

    act(moderator, Action.HIDE_PAGE, paula, django_capture_on_commit_callbacks)

    assert "paula" not in viewer.get("/people/").content.decode()
    assert viewer.get("/u/paula/").status_code == 404
    owner = signed_in_as(paula)
    assert owner.get("/u/paula/").status_code == 200
    # The profile form cannot widen it again.
    owner.post("/profile/", {"bio": "", "location": "", "visibility": "everyone"})
    profile = Profile.objects.get(pk=paula.pk)
    assert (profile.visibility, profile.visibility_locked) == (
        Visibility.ONLY_ME,
        True,
    )
    assert "Our moderators hid your page" in owner.get("/profile/").content.decode()
    (message,) = mail.outbox
    assert "We hid your page" in message.body


def test_suspend_ends_every_session_and_leaves_the_directory(
    moderator, paula, django_capture_on_commit_callbacks
):
    viewer = signed_in_as(member("vic"))
    browsers = [log_in("paula"), log_in("paula.secret@example.com")]
    keys = [browser.session.session_key for browser in browsers]
    # Signed in before browsers were recorded: no record lists this one.
    browsers.append(signed_in_as(paula))
    assert UserSession.objects.filter(user=paula).count() == 2

    act(moderator, Action.SUSPEND, paula, django_capture_on_commit_callbacks)

    assert not User.objects.get(pk=paula.pk).is_active
    assert not any(SessionStore().exists(key) for key in keys)
    for browser in browsers:
        assert browser.get("/profile/")["Location"].startswith("/accounts/login/")
    assert not Client().login(username="paula", password=PASSWORD)
    assert "paula" not in viewer.get("/people/").content.decode()
    assert viewer.get("/u/paula/").status_code == 404
    (message,) = mail.outbox
    assert "We suspended your account" in message.body
    assert AuditEntry.objects.get().action == Action.SUSPEND


def test_dismiss_closes_the_reports_without_an_email(
    moderator, paula, django_capture_on_commit_callbacks
):
    first, second = reported(paula, "rita"), reported(paula, "sara")

    entry = act(moderator, Action.DISMISS, paula, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert Report.objects.filter(closed_at__isnull=True).count() == 0
    assert entry.report_id == second.pk  # the latest
    paula.profile.refresh_from_db()
    assert paula.profile.bio == "Hi there"
    # The reporter may report again: a new, open report.
    reported_again = Report.objects.create(
        reporter=first.reporter, person=paula, reason="other"
    )
    assert reported_again.closed_at is None


def test_the_audit_entry_outlives_both_accounts_without_the_content(
    moderator, paula, django_capture_on_commit_callbacks
):
    report = reported(paula)
    entry = act(moderator, Action.CLEAR_TEXT, paula, django_capture_on_commit_callbacks)

    moderator.delete()
    paula.delete()

    kept = AuditEntry.objects.get(pk=entry.pk)
    assert (kept.moderator_username, kept.person_username) == ("mona", "paula")
    assert (kept.action, kept.reason) == (Action.CLEAR_TEXT, "Against the rules")
    assert kept.report_id == report.pk
    fields = [str(value) for value in vars(kept).values()]
    assert not any("Hi there" in value or "Lisbon" in value for value in fields)
