from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction

from avatars.forms import AvatarField
from registration.models import Profile, User


class RegistrationForm(forms.ModelForm[User]):
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    image = AvatarField()
    # Set by the view when the attempt was refused unvalidated (too many).
    throttled = ""

    class Meta:
        model = User
        fields = ["username", "email"]
        widgets = {
            "username": forms.TextInput(attrs={"autocomplete": "username"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That username is taken.", code="unique")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(
                "An account with that e-mail already exists.", code="unique"
            )
        return email

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # untyped in django-stubs
        # As Django's UserCreationForm: validate once the instance has the
        # username and e-mail, so the similarity check can compare against them.
        password = self.cleaned_data.get("password")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password", error)

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        # The expensive hash happens before the transaction opens, so the write
        # lock is held for milliseconds, not for the hash.
        user.set_password(self.cleaned_data["password"])
        with transaction.atomic():
            user.save()  # post_save creates the profile
            if self.cleaned_data.get("image"):
                user.profile.image = self.cleaned_data["image"]
                user.profile.save()
        return user


class LoginForm(AuthenticationForm):
    # Set by the view when the attempt was refused unvalidated (too many).
    throttled = ""


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
