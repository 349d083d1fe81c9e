import importlib

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from avatars.models import Avatar
from registration.forms import SignupForm
from registration.models import Profile, User
from testing import image_factory

pytestmark = pytest.mark.django_db


def signup_data(**overrides: str) -> dict[str, str]:
    return {
        "username": "alice",
        "email": "alice@example.com",
        "password1": "correct horse battery",
        **overrides,
    }


def a_request():
    request = RequestFactory().post("/register/")
    SessionMiddleware(lambda request: None).process_request(request)
    return request


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_valid_signup_creates_user_with_hashed_password_and_profile(photo_jpeg):
    form = SignupForm(data=signup_data(), files={"image": upload(photo_jpeg)})
    assert form.is_valid(), form.errors

    user = form.save(a_request())

    assert user.check_password("correct horse battery")
    assert user.password != "correct horse battery"
    assert Avatar.objects.get(user=user).image
    assert Profile.objects.filter(user=user).exists()


def test_photo_is_optional():
    form = SignupForm(data=signup_data(), files={})
    assert form.is_valid(), form.errors
    user = form.save(a_request())
    assert not user.avatar.image
    assert user.avatar.state == "none"


def test_email_is_required():
    form = SignupForm(data=signup_data(email=""))
    assert form.errors["email"] == ["This field is required."]


@pytest.mark.parametrize("taken", ["Alice", "ALICE", "alice"])
def test_username_taken_whatever_its_case(taken):
    User.objects.create_user(taken, "first@example.com", "x")
    form = SignupForm(data=signup_data(username="alice"))
    assert form.errors["username"] == ["That username is taken."]


def test_email_already_registered_whatever_its_case():
    User.objects.create_user("bob", "Alice@Example.COM", "x")
    form = SignupForm(data=signup_data())
    assert form.errors["email"] == ["An account with that e-mail already exists."]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "This password is too short"),
        ("password123", "This password is too common."),
        ("84736291038", "This password is entirely numeric."),
        ("alice@example", "The password is too similar to the"),
    ],
)
def test_weak_password_is_refused_with_djangos_reason(password, message):
    form = SignupForm(data=signup_data(password1=password))
    assert not form.is_valid()
    assert any(message in error for error in form.errors["password1"])


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"just some text, honest", "photo.jpg", "image/jpeg"),
        (
            b"<!doctype html><html><script>alert(1)</script></html>",
            "a.png",
            "image/png",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "avatar.svg",
            "image/svg+xml",
        ),
    ],
)
def test_file_that_is_not_an_image_is_refused_and_no_user_is_created(
    content, name, content_type
):
    form = SignupForm(
        data=signup_data(), files={"image": upload(content, name, content_type)}
    )
    assert not form.is_valid()
    assert form.errors["image"]
    assert (
        "image" in form.errors["image"][0].lower()
        or "photo" in form.errors["image"][0].lower()
    )
    assert not User.objects.exists()


def test_empty_file_is_refused():
    form = SignupForm(data=signup_data(), files={"image": upload(b"")})
    assert form.errors["image"] == ["The submitted file is empty."]


def test_decompression_bomb_is_refused_from_its_header():
    bomb = image_factory.bomb_png_bytes(30000, 30000)
    assert len(bomb) < 10_000
    form = SignupForm(
        data=signup_data(), files={"image": upload(bomb, "a.png", "image/png")}
    )
    assert not form.is_valid()
    assert "megapixel" in form.errors["image"][0].lower()


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (
            lambda: image_factory.jpeg_bytes(mode="CMYK", color=(0, 255, 255, 0)),
            "c.jpg",
        ),
        (lambda: image_factory.jpeg_bytes(progressive=True), "p.jpg"),
        (lambda: image_factory.png_bytes(mode="RGBA"), "t.png"),
        (image_factory.png16_bytes, "deep.png"),
        (image_factory.palette_png_bytes, "pal.png"),
        (image_factory.animated_gif_bytes, "anim.gif"),
        (image_factory.heic_bytes, "IMG_0001.HEIC"),
    ],
)
def test_photos_people_really_upload_are_accepted(make, name):
    form = SignupForm(data=signup_data(), files={"image": upload(make(), name, "")})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (image_factory.scan_bomb_jpeg_bytes, "scans"),
        (image_factory.tag_bomb_tiff_bytes, "TIFF files are not accepted"),
        (image_factory.rle_bmp_bytes, "BMP files are not accepted"),
    ],
    ids=["scan bomb", "TIFF tag bomb", "RLE BMP"],
)
def test_hostile_files_are_refused_at_the_form_with_a_reason(client, make, says):
    response = client.post(
        "/register/",
        {**signup_data(), "image": upload(make(), "IMG_0001.JPG")},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert says in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "username",
    ["аdmin", "Émile", "ab", "a" * 31, "bob smith", "bob@home", "ｂｏｂ"],
    ids=["cyrillic a", "accent", "too short", "too long", "space", "at", "fullwidth"],
)
def test_usernames_are_public_handles(username):
    form = SignupForm(data=signup_data(username=username))

    assert not form.is_valid()
    says = str(form.errors["username"])
    assert "ASCII letters, digits" in says or "at most 30 characters" in says


@pytest.mark.parametrize("username", ["ann", "J.R.R-tolkien_3", "a" * 30])
def test_handles_within_the_rule_are_accepted(username):
    assert SignupForm(data=signup_data(username=username)).is_valid()


def test_the_sign_up_form_says_the_rule():
    assert "ASCII letters, digits" in str(SignupForm()["username"].help_text)


def test_existing_usernames_are_brought_within_the_rule_and_stay_unique():
    from django.apps import apps

    rule = importlib.import_module("registration.migrations.0005_username_rule")
    for name in ["Émile", "émile", "аdmin", "x", "fine.name"]:
        User.objects.create(username=name, email=f"{len(name)}{name}@example.com")

    rule.follow_the_rule(apps, None)

    names = sorted(User.objects.values_list("username", flat=True))
    assert names == ["Emile", "dmin", "emile-2", "fine.name", "xuser"]


def test_a_password_has_a_greatest_length_too(client):
    from testing.client import signup

    too_long = signup(client, password1="x" * 257 + "Aa1!")
    longest = signup(client, password1="correct horse " * 18)  # 252 characters

    assert "at most 256 characters" in too_long.content.decode()
    assert longest["HX-Redirect"] == "/profile/"
