from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy

from avatars import images
from avatars.conf import conf


def validate_avatar_upload(upload: UploadedFile[bytes]) -> None:
    """Refuse what the worker must not be given, reading only the file's header."""
    limit = conf.MAX_UPLOAD_BYTES
    size = upload.size or 0
    if getattr(upload, "too_large", False) or size > limit:
        raise ValidationError(
            "This file is %(size).1f MB; a photo can be at most %(limit)d MB.",
            code="too_large",
            params={"size": size / 1024 / 1024, "limit": limit // 1024 // 1024},
        )
    try:
        # Kept for the crop's check (PhotoWithCropForm): one read of the header.
        upload.image_info = images.inspect_image(upload)  # type: ignore[attr-defined]
    except images.ImageRejected as exc:
        raise ValidationError(exc.message, code="invalid_image") from None


def formats_help() -> str:
    limit = conf.MAX_UPLOAD_BYTES // 1024 // 1024
    return f"Optional. JPEG, PNG, HEIC, WebP or GIF, up to {limit} MB."


class AvatarField(forms.FileField):
    """A profile photo: optional, checked by its content, within the size limit."""

    default_validators = [validate_avatar_upload]
    widget = forms.FileInput(attrs={"accept": "image/*"})

    @property
    def max_bytes(self) -> int:
        return conf.MAX_UPLOAD_BYTES

    @property
    def too_large_message(self) -> str:
        """The server's message, for the browser to say before any byte is
        sent (static/js/photo-picker.js puts in the size)."""
        limit = self.max_bytes // 1024 // 1024
        return f"This file is %(size)s MB; a photo can be at most {limit} MB."

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Profile photo")
        kwargs.setdefault("help_text", lazy(formats_help, str)())
        super().__init__(**kwargs)


CROP_FIELDS = ("crop_x", "crop_y", "crop_width", "crop_height")
BAD_CROP = "The chosen square is not valid. Please choose it again."


class PhotoWithCropForm(forms.Form):
    """A photo and the square chosen from it (in the upright photo's pixels).

    The square comes from the page's crop frame as four hidden numbers; without
    them, the centred square is cut. The subclass declares `image`.
    """

    crop_x = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    crop_y = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    crop_width = forms.CharField(
        required=False, max_length=12, widget=forms.HiddenInput
    )
    crop_height = forms.CharField(
        required=False, max_length=12, widget=forms.HiddenInput
    )

    def clean(self) -> dict[str, Any]:
        cleaned_data: dict[str, Any] = super().clean() or {}
        upload = cleaned_data.get("image")
        cleaned_data["crop"] = None
        values = [str(cleaned_data.get(name) or "").strip() for name in CROP_FIELDS]
        if not upload or not any(values):
            return cleaned_data
        try:
            # The header as validate_avatar_upload read it: a valid upload has it.
            crop = self._crop(values, upload.image_info)
        except ValidationError as error:
            self.add_error("image", error)
        else:
            cleaned_data["crop"] = crop
        return cleaned_data

    def _crop(self, values: list[str], info: images.ImageInfo) -> images.Crop:
        if not all(value.isascii() and value.isdigit() for value in values):
            # Missing, negative, fractional or not numbers at all.
            raise ValidationError(BAD_CROP, code="bad_crop")
        x, y, width, height = (int(value) for value in values)
        if abs(width - height) > 1:  # a pixel of rounding is the browser's
            raise ValidationError(
                "The chosen part of the photo must be a square.", code="not_square"
            )
        size = min(width, height)
        if size < min(images.MIN_CROP, info.width, info.height):
            raise ValidationError(
                "The chosen square is too small: it must be at least "
                "%(min)d pixels wide.",
                code="crop_too_small",
                params={"min": images.MIN_CROP},
            )
        if max(x + size - info.width, y + size - info.height) == 1:
            size -= 1  # a pixel over the edge is rounding too
        crop = images.Crop(x, y, size)
        if not crop.fits(info.width, info.height):
            raise ValidationError(
                "The chosen square goes outside the photo "
                "(%(width)d × %(height)d pixels). Please choose it again.",
                code="crop_outside",
                params={"width": info.width, "height": info.height},
            )
        return crop
