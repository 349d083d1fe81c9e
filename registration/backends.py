from typing import Any

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.base_user import AbstractBaseUser

from registration.models import User


class ModelBackendWithProfile(AuthenticationBackend):
    """allauth's backend (log in by username or e-mail, any case), loading the
    user's profile and avatar in the same query.

    Every page and every status poll reads request.user's avatar (the top bar,
    the fragment), the profile pages its profile: one joined query instead of
    three. The class keeps its name and path, which sessions
    store: people signed in before allauth stay signed in.
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("profile", "avatar").get(
                pk=user_id
            )
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def _authenticate_by_username(
        self, username: str, password: str
    ) -> AbstractBaseUser | None:
        """Any case, through the lower-case index (allauth's `iexact` reads
        the whole table)."""
        try:
            user = User.objects.named(username).get()
        except User.DoesNotExist:
            user = None
        checked: AbstractBaseUser | None = self._check_password(user, password)
        return checked

    def _authenticate_by_email(
        self, email: str, password: str
    ) -> AbstractBaseUser | None:
        """Only the account's own address signs in, not one it is changing to.

        allauth also looks through every EmailAddress row, and the address a
        change waits to confirm is one: anyone could sign in with an address
        they typed but do not own. User.email changes only once the new
        address is confirmed.
        """
        try:
            user = User.objects.with_email(email.strip()).get()
        except User.DoesNotExist:
            user = None
        checked: AbstractBaseUser | None = self._check_password(user, password)
        return checked
