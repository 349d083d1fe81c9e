from typing import Any

from allauth.account import app_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from allauth.account.utils import setup_user_email
from django import forms
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest

from avatars.forms import AvatarField
from registration.models import Profile, User


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, with a photo."""

    account_already_exists: bool

    image = AvatarField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["username"].help_text = User._meta.get_field("username").help_text
        self.fields["username"].widget.attrs.pop("placeholder", None)
        self.fields["email"].widget.attrs.pop("placeholder", None)

    def clean_username(self) -> str:
        """allauth compares usernames as typed; ours are unique in any case."""
        username: str = super().clean_username()
        if User.objects.filter(username__iexact=username).exists():
            raise get_adapter().validation_error("username_taken")
        return username

    def validate_unique_email(self, value: str) -> str:
        """allauth compares addresses exactly once lower-cased, so an address
        stored as "Ann@Example.com" would pass, then hit the database's
        case-insensitive constraint."""
        email: str = super().validate_unique_email(value)
        if not self.account_already_exists and (
            User.objects.filter(email__iexact=email).exists()
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
            user.save()  # post_save creates the profile
            setup_user_email(request, user, [EmailAddress(email=email)])
            if self.cleaned_data.get("image"):
                user.profile.image = self.cleaned_data["image"]
                user.profile.save()
        return user


class ProfileForm(forms.ModelForm[Profile]):
    image = AvatarField(
        label="New photo",
        help_text="Optional: choose a file to replace your photo.",
    )

    class Meta:
        model = Profile
        fields = ["image", "bio", "location"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}

    def save(self, commit: bool = True) -> Profile:
        with transaction.atomic():
            profile: Profile = super().save(commit)
        return profile
