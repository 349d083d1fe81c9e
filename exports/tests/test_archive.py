"""What an archive holds: all of the person's own data, nothing of anyone else."""

import io
import json
import re

import pytest

from exports.archive import write_archive
from exports.models import Step
from exports.tests.conftest import open_zip, pending_original
from registration.models import User
from testing import image_factory

pytestmark = pytest.mark.django_db


def archive_of(user, steps=None) -> dict[str, bytes]:
    user = User.objects.select_related("profile", "avatar").get(pk=user.pk)
    out = io.BytesIO()
    write_archive(user, out, (steps.append if steps is not None else lambda s: None))
    return open_zip(out.getvalue())


def test_the_archive_holds_every_kind_of_the_persons_data(cast):
    files = archive_of(cast.nora)

    assert sorted(files) == [
        "README.txt",
        "photo/square-192px.webp",
        "photo/square-300px.webp",
        "photo/square-32px.webp",
        "photo/square-600px.webp",
        "photo/square-64px.webp",
        "photo/square-96px.webp",
        "profile.json",
    ]
    # Each size is the file the site serves, byte for byte.
    assert files["photo/square-600px.webp"] == b"RIFF-600"
    profile = json.loads(files["profile.json"])
    assert profile["username"] == "nora"
    assert profile["email_addresses"] == [
        {"address": "nora@example.com", "confirmed": True, "primary": True},
        {"address": "nora.old@example.org", "confirmed": False, "primary": False},
    ]
    assert (profile["bio"], profile["location"]) == ("I paint foxes.", "Lyon")
    assert profile["who_sees_your_page"] == "Everyone, signed in or not"
    assert profile["joined"].startswith(str(cast.nora.date_joined.year))
    assert "last_sign_in" in profile
    (browser,) = profile["signed_in_browsers"]
    assert browser["browser"] == "Firefox on Linux"
    assert browser["ip_address"] == "203.0.113.7"
    assert browser["signed_in_at"]
    kinds = [(m["kind"], m["name"]) for m in profile["two_factor_methods"]]
    assert kinds == [("Authenticator app", ""), ("Security key", "Blue key")]
    assert all(m["added"] for m in profile["two_factor_methods"])
    assert profile["reports_you_made"] == [
        {
            "reported_username": "paul",
            "reason": "Spam",
            "note": "Sells watches",
            "date": profile["reports_you_made"][0]["date"],
        }
    ]
    (action,) = profile["moderation_actions_on_your_account"]
    assert set(action) == {"action", "reason", "date"}
    assert action["action"] == "Cleared the bio and location"
    assert action["reason"] == "Your bio linked to a shop"
    readme = files["README.txt"].decode()
    for name in files:
        assert name.split("/")[0] in readme
    assert "password" in readme and "hash" in readme


def test_nothing_of_anyone_else_is_in_it(cast):
    everything = b"\n".join(archive_of(cast.nora).values()).decode("utf-8", "replace")

    for other in (cast.norah, cast.rita, cast.mod):
        assert not re.search(rf"\b{other.username}\b", everything)
        assert other.email not in everything
    for stranger in ("Norah's own bio", "Nantes", "198.51.100.9", "norah's own"):
        assert stranger not in everything
    # Who reported her, what they wrote, and who acted: never.
    assert "rita thinks" not in everything and "Impersonation" not in everything
    # The factors' secrets stay on the site.
    assert "SECRET" not in everything


def test_a_photo_not_processed_yet_comes_as_the_original(cast, photo_jpeg):
    pending_original(cast.nora, photo_jpeg)

    files = archive_of(cast.nora)

    assert files["photo/original.jpg"] == photo_jpeg
    assert not [name for name in files if "square" in name]
    assert "photo/original.jpg" in files["README.txt"].decode()


def test_a_png_original_is_named_as_one(cast):
    data = image_factory.png_bytes()
    pending_original(cast.nora, data)

    assert archive_of(cast.nora)["photo/original.png"] == data


def test_a_member_without_a_photo_gets_no_photo_folder(cast):
    from avatars.models import Avatar

    Avatar.objects.filter(pk=cast.nora.pk).update(state="none", thumbnails="")

    files = archive_of(cast.nora)

    assert sorted(files) == ["README.txt", "profile.json"]
    assert "has no photo" in files["README.txt"].decode()


def test_each_step_is_announced_in_order(cast):
    steps: list[Step] = []
    archive_of(cast.nora, steps)
    assert steps == [Step.COLLECTING, Step.PHOTO, Step.WRITING]
