from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import AddEmailForm as AllauthAddEmailForm
from allauth.account.forms import PasswordField
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal.flows.email_verification import (
    send_verification_email_to_address,
)
from allauth.account.models import EmailAddress
from allauth.account.utils import setup_user_email
from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from avatars.forms import AvatarField, PhotoWithCropForm
from avatars.state import attach_photo
from registration.models import Profile, User

PROFILE_FORM_FIELDS = ("bio", "location", "visibility")


class SignupForm(PhotoWithCropForm, AllauthSignupForm):
    """allauth's sign-up, with a photo and the square chosen from it."""

    account_already_exists: bool

    image = AvatarField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["username"].help_text = User._meta.get_field("username").help_text
        self.fields["username"].widget.attrs.pop("placeholder", None)
        self.fields["email"].widget.attrs.pop("placeholder", None)

    def validate_unique_email(self, value: str) -> str:
        """allauth compares addresses exactly once lower-cased, so an address
        stored as "Ann@Example.com" would pass, then hit the database's
        case-insensitive constraint."""
        email: str = super().validate_unique_email(value)
        if not self.account_already_exists and (
            User.objects.with_email(email).exists()
        ):
            if app_settings.EMAIL_VERIFICATION == "mandatory":
                self.account_already_exists = True  # said by e-mail, not here
            else:
                raise get_adapter().validation_error("email_taken")
        return email

    def try_save(self, request: HttpRequest) -> tuple[User | None, Any]:
        """In the mandatory mode a taken address gets the same answer as a new
        one (allauth e-mails its owner instead): spend the same hash here, so the
        answer's timing does not tell them apart either."""
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        user, response = super().try_save(request)
        return user, response

    def save(self, request: HttpRequest) -> User:
        """As allauth saves, with the password hashed before the transaction: the
        write lock is held for milliseconds, not for the hash. Then one short
        transaction saves the user, its e-mail address and the photo."""
        email = self.cleaned_data["email"]
        if self.account_already_exists:
            raise ValueError(email)
        adapter = get_adapter(request)
        user: User = adapter.new_user(request)
        adapter.save_user(request, user, self, commit=False)  # hashes
        with transaction.atomic():
            user.save()  # post_save makes the profile and the avatar
            setup_user_email(request, user, [EmailAddress(email=email)])
            if self.cleaned_data.get("image"):
                attach_photo(
                    user.avatar, self.cleaned_data["image"], self.cleaned_data["crop"]
                )
        return user


class ChangeEmailForm(AllauthAddEmailForm):
    """allauth's change of address. As at sign-up, an address another account
    uses is said to be taken, except in the mandatory mode, where allauth's
    link goes to that address and its confirmation is refused (the adapter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "New address"
        self.fields["email"].widget.attrs.pop("placeholder", None)

    def clean_email(self) -> str:
        email: str = super().clean_email()
        if (
            app_settings.EMAIL_VERIFICATION != "mandatory"
            and User.objects.with_email(email).exclude(pk=self.user.pk).exists()
        ):
            raise get_adapter().validation_error("email_taken")
        return email

    def save(self, request: HttpRequest) -> EmailAddress:
        """The new address waits beside the current one until it is confirmed.

        allauth replaces the newest unconfirmed address, which is the current
        one when that was never confirmed (optional verification): the account
        would be left with no address to sign in with until the link is opened.
        Only an earlier pending change is replaced here.
        """
        with transaction.atomic():
            EmailAddress.objects.filter(
                user=self.user, verified=False, primary=False
            ).delete()
            address = EmailAddress.objects.create(
                user=self.user, email=self.cleaned_data["email"]
            )
        send_verification_email_to_address(request, address)
        return address


class ProfileForm(PhotoWithCropForm, forms.ModelForm[Profile]):
    image = AvatarField(
        label="New photo",
        help_text="Optional: choose a file to replace your photo.",
    )
    field_order = ["image", *PROFILE_FORM_FIELDS]

    class Meta:
        model = Profile
        fields = PROFILE_FORM_FIELDS  # and the photo, which is the avatar's
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 3, "data-counter": ""}),
            "visibility": forms.RadioSelect,
        }
        help_texts = {
            "bio": "Up to 300 characters.",
            "location": "Up to 100 characters.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A post without it (an older page, a script) keeps the current choice.
        self.fields["visibility"].required = False
        if self.instance.visibility_locked:
            # What is posted is ignored: the choice stays the moderators'.
            self.fields["visibility"].disabled = True
            self.fields[
                "visibility"
            ].help_text = (
                "Our moderators hid your page; write to us to have it shown again."
            )

    def clean_visibility(self) -> str:
        visibility: str = (
            self.cleaned_data.get("visibility") or self.instance.visibility
        )
        return visibility

    def save(self, commit: bool = True) -> Profile:
        """The profile's fields, and a new photo if one was chosen: one
        transaction, after which the photo's resize is queued."""
        profile: Profile = super().save(commit=False)
        if commit:
            with transaction.atomic():
                profile.save(update_fields=PROFILE_FORM_FIELDS)
                if self.cleaned_data.get("image"):
                    attach_photo(
                        profile.user.avatar,
                        self.cleaned_data["image"],
                        self.cleaned_data["crop"],
                    )
        return profile


class DeleteAccountForm(forms.Form):
    """Deleting the account: the password, unless it was typed within
    ACCOUNT_REAUTHENTICATION_TIMEOUT (allauth's "confirm access")."""

    password = PasswordField(label="Your password", autocomplete="current-password")

    def __init__(self, *args: Any, user: User, password_needed: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        if not password_needed:
            del self.fields["password"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # allauth's check: its failed-login limit applies, as at the login.
        if not get_adapter().reauthenticate(self.user, password):
            raise get_adapter().validation_error("incorrect_password")
        return password

    def delete(self) -> None:
        """The user and everything that hangs from it: profile, addresses,
        sessions, photos (registration.signals and avatars.signals)."""
        with transaction.atomic():
            self.user.delete()


class EndSessionsForm(forms.Form):
    """Which signed-in browsers to sign out: one (by its row), every other one
    ("others"), or all of them, this one included ("all")."""

    end = forms.CharField(max_length=20)

    def __init__(self, *args: Any, sessions: list[UserSession], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sessions = sessions

    def clean_end(self) -> list[UserSession]:
        end = self.cleaned_data["end"]
        if end == "all":
            chosen = self.sessions
        elif end == "others":
            chosen = [s for s in self.sessions if not s.is_current()]
        else:
            chosen = [s for s in self.sessions if str(s.pk) == end]
        if not chosen:
            raise ValidationError("That browser is already signed out.")
        return chosen

    def save(self) -> bool:
        """End the chosen sessions; True if this browser's was one of them."""
        chosen: list[UserSession] = self.cleaned_data["end"]
        this_one = any(s.is_current() for s in chosen)
        get_usersessions_adapter().end_sessions(chosen)
        return this_one
