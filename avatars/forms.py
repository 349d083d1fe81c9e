from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from avatars import images


def validate_avatar_upload(upload: UploadedFile[bytes]) -> None:
    """Refuse what the worker must not be given, reading only the file's header."""
    limit = settings.AVATAR_MAX_UPLOAD_BYTES
    size = upload.size or 0
    if getattr(upload, "too_large", False) or size > limit:
        raise ValidationError(
            "This file is %(size).1f MB; a photo can be at most %(limit)d MB.",
            code="too_large",
            params={"size": size / 1024 / 1024, "limit": limit // 1024 // 1024},
        )
    try:
        images.inspect_image(upload)
    except images.ImageRejected as exc:
        raise ValidationError(exc.message, code="invalid_image") from None


class AvatarField(forms.FileField):
    """A profile photo: optional, checked by its content, within the size limit."""

    default_validators = [validate_avatar_upload]
    widget = forms.FileInput(attrs={"accept": "image/*"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Profile photo")
        kwargs.setdefault(
            "help_text",
            "Optional. JPEG, PNG, HEIC, WebP or GIF, up to "
            f"{settings.AVATAR_MAX_UPLOAD_BYTES // 1024 // 1024} MB.",
        )
        super().__init__(**kwargs)
