"""{% avatar %} (avatars/templatetags/avatars.py): a photo once it is ready,
the initials until then, at the sizes the site makes. Kept here, not beside the
tag: Django imports every module under templatetags/ as a tag library."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template, TemplateSyntaxError

from avatars import images
from avatars.models import Avatar
from testing.thumbnails import write_thumbnails

User = get_user_model()

pytestmark = pytest.mark.django_db


def render(text: str, **context) -> str:
    return Template("{% load avatars %}" + text).render(Context(context))


@pytest.fixture
def nia() -> User:
    return User.objects.create_user("nia.k", "nia@example.com", "x")


@pytest.mark.parametrize("state", ["none", "queued", "processing", "failed"])
def test_until_the_photo_is_ready_it_is_the_initials(nia, state):
    Avatar.objects.filter(pk=nia.pk).update(state=state)
    nia = User.objects.select_related("avatar").get(pk=nia.pk)

    html = render("{% avatar person 96 %}", person=nia)

    assert re.fullmatch(
        r'<img class="avatar-img avatar-img--initials" '
        r'src="/avatars/initials/\d+-NK\.svg" width="96" height="96" '
        r'alt="nia\.k has no profile photo yet" decoding="async">',
        html,
    ), html


@pytest.mark.parametrize("size", images.DISPLAY_SIZES)
def test_a_ready_photo_at_its_size_and_twice_that(nia, size):
    stem = write_thumbnails()
    Avatar.objects.filter(pk=nia.pk).update(state="ready", thumbnails=stem)
    nia = User.objects.get(pk=nia.pk)

    html = render(f"{{% avatar person {size} lazy=True %}}", person=nia)

    assert 'class="avatar-img avatar-img--photo"' in html
    assert f'src="/media/{stem}-{size}.webp"' in html
    assert (
        f'srcset="/media/{stem}-{size}.webp 1x, /media/{stem}-{2 * size}.webp 2x"'
        in html
    )
    assert f'width="{size}" height="{size}"' in html
    assert 'alt="Profile photo of nia.k"' in html
    assert 'loading="lazy"' in html


def test_a_profile_or_an_avatar_stands_for_its_user(nia):
    as_user = render("{% avatar x %}", x=nia)
    assert render("{% avatar x %}", x=nia.profile) == as_user
    assert render("{% avatar x %}", x=nia.avatar) == as_user
    assert 'width="96"' in as_user and "loading" not in as_user


def test_a_size_the_site_does_not_make_is_a_template_error(nia):
    with pytest.raises(TemplateSyntaxError, match="avatar size 100"):
        render("{% avatar person 100 %}", person=nia)


def test_the_username_is_escaped(nia):
    User.objects.filter(pk=nia.pk).update(username='a"><script>')
    html = render("{% avatar person %}", person=User.objects.get(pk=nia.pk))
    assert "<script>" not in html
    assert "&quot;&gt;&lt;script&gt;" in html
