"""{% avatar person 96 %}: anyone's avatar at any size the site makes."""

from typing import Any

from django import template
from django.core.files.storage import storages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from avatars import images, initials
from avatars.storage import thumbnail_name

register = template.Library()


@register.simple_tag
def avatar(person: Any, size: int = 96, lazy: bool = False) -> SafeString:
    """A square <img> of a user (or anything with a `user`: an Avatar, a
    profile) at `size` CSS pixels (one of
    images.DISPLAY_SIZES), with its 2x in srcset. Until a photo is ready (none,
    queued, processing, failed) it is the person's initials: never a broken
    image. CSS shows it as a circle."""
    if size not in images.DISPLAY_SIZES:
        raise template.TemplateSyntaxError(
            f"avatar size {size} is not one of {images.DISPLAY_SIZES}"
        )
    user = getattr(person, "user", person)
    username = user.get_username()
    # Loaded with the user wherever avatars are shown (a join, not a query).
    shown = user.avatar
    if shown.ready:
        media = storages["default"]
        src = media.url(thumbnail_name(shown.thumbnails, size))
        srcset = f"{src} 1x, {media.url(thumbnail_name(shown.thumbnails, 2 * size))} 2x"
        alt = f"Profile photo of {username}"
        kind = "photo"
    else:
        src = reverse(
            "avatar-initials",
            kwargs={
                "initials": initials.initials_of(username),
                "colour": initials.colour_of(username),
            },
        )
        srcset = ""
        alt = f"{username} has no profile photo yet"
        kind = "initials"
    return format_html(
        '<img class="avatar-img avatar-img--{kind}" src="{src}"{srcset} '
        'width="{size}" height="{size}" alt="{alt}"{loading} decoding="async">',
        kind=kind,
        src=src,
        srcset=format_html(' srcset="{}"', srcset) if srcset else "",
        size=size,
        alt=alt,
        loading=mark_safe(' loading="lazy"') if lazy else "",
    )
