"""Staff's review in the admin: who may, what they see, the reason every action
asks for, and an audit log nobody edits."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.utils import timezone

from avatars.models import BlockedPhoto
from moderation.models import Action, AuditEntry, Report
from registration.models import Profile, User
from registration.tests.test_people import member, signed_in_as
from testing.mail import deliver

pytestmark = pytest.mark.django_db

PEOPLE = "/admin/moderation/reportedperson/"
AUDIT = "/admin/moderation/auditentry/"
BLOCKED = "/admin/avatars/blockedphoto/"


def staff(username: str, moderates: bool = True) -> Client:
    user = member(username, is_staff=True)
    if moderates:
        user.user_permissions.add(Permission.objects.get(codename="moderate"))
    return signed_in_as(user)


def report(person: User, by: User, reason: str = "spam", note: str = "") -> Report:
    return Report.objects.create(reporter=by, person=person, reason=reason, note=note)


def run(client: Client, action: Action, people: list[User], **data: str):
    return client.post(
        PEOPLE,
        {"action": action.value, "_selected_action": [p.pk for p in people], **data},
    )


def test_staff_without_the_permission_get_the_admins_403():
    clerk = staff("clerk", moderates=False)
    paula = member("paula")
    report(paula, member("rita"))

    for url in (PEOPLE, f"{PEOPLE}{paula.pk}/change/", AUDIT, BLOCKED):
        assert clerk.get(url).status_code == 403
    assert (
        run(clerk, Action.SUSPEND, [paula], confirm="yes", reason="x").status_code
        == 403
    )
    assert User.objects.get(pk=paula.pk).is_active
    assert "Reported people" not in clerk.get("/admin/").content.decode()


def test_people_with_open_reports_are_listed_newest_first_with_reasons():
    rita = member("rita")
    older, newer, settled = member("olga"), member("nina"), member("sven")
    report(older, rita, "impersonation", "Pretends to be me")
    Report.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    report(newer, rita, "offensive_photo")
    report(settled, rita).__class__.objects.filter(person=settled).update(
        closed_at=timezone.now()
    )

    page = staff("mona").get(PEOPLE).content.decode()

    names = re.findall(
        r"/admin/moderation/reportedperson/\d+/change/[^>]*>(\w+)<", page
    )
    assert names == ["nina", "olga"]
    assert "Pretends to be me" in page and "Impersonation" in page
    assert "Offensive photo" in page
    assert 'class="avatar-img avatar-img--initials"' in page


def test_a_persons_page_shows_their_earlier_reports_too():
    paula, rita = member("paula"), member("rita")
    report(paula, rita, note="The first time")
    Report.objects.update(closed_at=timezone.now())
    report(paula, rita, note="Again")

    page = staff("mona").get(f"{PEOPLE}{paula.pk}/change/").content.decode()

    assert "The first time" in page and "Again" in page


def test_every_action_first_asks_why_and_refuses_a_missing_or_long_reason():
    paula = member("paula")
    report(paula, member("rita"))
    mona = staff("mona")

    asked = run(mona, Action.SUSPEND, [paula], index="0")
    empty = run(mona, Action.SUSPEND, [paula], confirm="yes", reason="")
    long = run(mona, Action.SUSPEND, [paula], confirm="yes", reason="x" * 501)

    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert "paula" in asked.content.decode()
    assert "This field is required" in empty.content.decode()
    assert "at most 500 characters" in long.content.decode()
    assert User.objects.get(pk=paula.pk).is_active
    assert AuditEntry.objects.count() == 0


def test_an_action_with_its_reason_is_done_recorded_and_mailed(
    django_capture_on_commit_callbacks,
):
    paula, olga = member("paula"), member("olga")
    Profile.objects.filter(pk__in=[paula.pk, olga.pk]).update(bio="Buy now")
    report(paula, member("rita"), note="rita says")
    report(olga, member("sara"))
    mona = staff("mona")

    with django_capture_on_commit_callbacks(execute=True):
        done = run(mona, Action.CLEAR_TEXT, [paula, olga], confirm="yes", reason="Spam")
    deliver()

    assert done.status_code == 302
    assert "Cleared the bio and location: " in mona.get(PEOPLE).content.decode()
    assert set(Profile.objects.values_list("bio", flat=True)) == {""}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "olga.secret@example.com",
        "paula.secret@example.com",
    ]
    assert not any("rita" in m.body or "sara" in m.body for m in mail.outbox)
    entries = AuditEntry.objects.order_by("person_username")
    assert [(e.person_username, e.moderator_username, e.action) for e in entries] == [
        ("olga", "mona", Action.CLEAR_TEXT),
        ("paula", "mona", Action.CLEAR_TEXT),
    ]
    assert "paula" not in mona.get(PEOPLE).content.decode()  # nothing open now


def test_the_audit_log_is_shown_and_never_edited_or_deleted_in_the_admin(
    django_capture_on_commit_callbacks,
):
    paula = member("paula")
    report(paula, member("rita"))
    mona = staff("mona")
    run(mona, Action.DISMISS, [paula], confirm="yes", reason="Nothing wrong")
    entry = AuditEntry.objects.get()
    # A superuser holds every permission there is, and still cannot.
    root = signed_in_as(User.objects.create_superuser("root", "r@example.com", "x"))

    for client in (mona, root):
        listed = client.get(AUDIT).content.decode()
        assert "Nothing wrong" in listed and "mona" in listed
        assert f"{AUDIT}add/" not in listed
        assert 'value="delete_selected"' not in listed
        assert client.get(f"{AUDIT}add/").status_code == 403
        assert client.get(f"{AUDIT}{entry.pk}/delete/").status_code == 403
        shown = client.post(f"{AUDIT}{entry.pk}/change/", {"reason": "Edited"})
        assert shown.status_code == 403
    assert AuditEntry.objects.get().reason == "Nothing wrong"
    assert mona.get(f"{AUDIT}{entry.pk}/change/").status_code == 200


def test_a_blocked_photo_is_lifted_through_a_reason_and_recorded():
    mona, paula = staff("mona"), member("paula")
    entry = BlockedPhoto.objects.create(user=paula, hashes="00ff00ff00ff00ff")
    listed = mona.get(BLOCKED).content.decode()
    assert "paula" in listed and "Lifted a photo block" in listed
    lift = {"action": "lift_block", "_selected_action": [entry.pk]}

    asked = mona.post(BLOCKED, lift).content.decode()
    refused = mona.post(BLOCKED, {**lift, "confirm": "yes", "reason": ""})
    assert "why?" in asked and BlockedPhoto.objects.exists()
    assert refused.status_code == 200 and BlockedPhoto.objects.exists()

    done = mona.post(BLOCKED, {**lift, "confirm": "yes", "reason": "Appeal upheld"})

    assert done.status_code == 302
    assert not BlockedPhoto.objects.exists()
    (audit,) = AuditEntry.objects.all()
    assert (audit.action, audit.person_username, audit.moderator_username) == (
        Action.LIFT_BLOCK,
        "paula",
        "mona",
    )
    assert audit.reason == "Appeal upheld"


def test_lifting_is_not_a_person_action_and_blocks_are_never_added_by_hand():
    mona = staff("mona")
    report(member("paula"), member("rita"))

    people = mona.get(PEOPLE).content.decode()

    assert 'value="remove_photo"' in people
    assert "lift_block" not in people
    assert mona.get(f"{BLOCKED}add/").status_code == 403
