"""The square chosen with a photo, over plain HTTP: every bad value gets a form
error naming the problem, never a 500; a good one is kept with the photo."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from avatars.models import Avatar
from testing import image_factory
from testing.client import HTMX, signup

User = get_user_model()

pytestmark = pytest.mark.django_db

# 1600 x 1200 stored sideways (EXIF 6): upright, as the person saw it, 1200 x 1600.
SIDEWAYS = image_factory.jpeg_bytes((1600, 1200), orientation=6)


def crop(x, y, width, height=None) -> dict:
    return {
        "crop_x": x,
        "crop_y": y,
        "crop_width": width,
        "crop_height": width if height is None else height,
    }


def sign_up_with(crop_fields: dict, htmx: bool = True):
    return signup(Client(), SIDEWAYS, htmx=htmx, **crop_fields)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (crop(-1, 0, 600), "not valid"),
        (crop("", 0, 600), "not valid"),  # some values but not all
        (crop("ten", 0, 600), "not valid"),
        (crop("1.5", 0, 600), "not valid"),
        (crop("١٢", 0, 600), "not valid"),  # digits, but not ASCII ones
        (crop(0, 0, "1e3"), "not valid"),
        (crop(0, 0, "9" * 12), "too large"),  # "goes outside", past any integer
        (crop(0, 0, 600, 500), "must be a square"),
        (crop(0, 0, 31), "too small"),
        (crop(700, 0, 600), "goes outside the photo (1200 × 1600 pixels)"),
        (crop(0, 1100, 600), "goes outside"),
        (crop(0, 0, 1600), "goes outside"),  # fits the photo as stored, not upright
    ],
)
def test_a_bad_square_gets_a_form_error(fields, message):
    response = sign_up_with(fields)

    assert response.status_code == 200
    html = response.content.decode()
    if message == "too large":
        message = "goes outside"
    assert message in html
    assert not User.objects.exists()


def test_values_too_long_for_the_field_are_refused_too():
    response = sign_up_with(crop("1" * 13, 0, 600))

    assert response.status_code == 200
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        (crop(600, 1000, 600), (600, 1000, 600)),
        (crop(601, 0, 600, 599), (601, 0, 599)),  # a pixel of rounding
        (crop(0, 1001, 600), (0, 1001, 599)),  # a pixel over the edge
        (crop(" 10", "0 ", 32), (10, 0, 32)),
    ],
)
def test_a_good_square_is_kept_with_the_photo(fields, stored):
    response = sign_up_with(fields)

    assert response["HX-Redirect"] == "/profile/"
    avatar = Avatar.objects.get()
    assert (avatar.crop_x, avatar.crop_y, avatar.crop_size) == stored


def test_no_square_means_the_centred_one():
    sign_up_with(crop("", "", "", ""))

    avatar = Avatar.objects.get()
    assert (avatar.crop_x, avatar.crop_y, avatar.crop_size) == (None, None, None)


def test_a_square_without_a_photo_is_ignored():
    response = signup(Client(), None, **crop(0, 0, 600))

    assert response["HX-Redirect"] == "/profile/"


def test_a_new_photo_without_a_square_forgets_the_old_one(client):
    signup(client, SIDEWAYS, **crop(0, 0, 600))
    photo = image_factory.jpeg_bytes((800, 600))

    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        "/profile/",
        {"bio": "", "image": SimpleUploadedFile("b.jpg", photo, "image/jpeg")},
        **HTMX,
    )

    avatar = Avatar.objects.get()
    assert (avatar.crop_x, avatar.crop_y, avatar.crop_size) == (None, None, None)


def test_without_javascript_a_form_error_says_to_choose_the_photo_again():
    User.objects.create_user("hana", "other@example.com", "x")

    page = sign_up_with(crop(0, 0, 600), htmx=False).content.decode()

    assert "That username is taken." in page
    assert "Please choose your photo again" in page


def test_with_htmx_the_photo_is_kept_so_nothing_asks_for_it_again():
    User.objects.create_user("hana", "other@example.com", "x")

    page = sign_up_with(crop(0, 0, 600)).content.decode()

    assert "That username is taken." in page
    assert "Please choose your photo again" not in page
    assert 'id="photo-picker" hx-preserve' in page
