from typing import Any

from allauth.account.auth_backends import AuthenticationBackend

from registration.models import User


class ModelBackendWithProfile(AuthenticationBackend):
    """allauth's backend (log in by username or e-mail, any case), loading the
    user's profile in the same query.

    Every page and every status poll reads request.user.profile: one joined
    query instead of two. The class keeps its name and path, which sessions
    store: people signed in before allauth stay signed in.
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User._default_manager.select_related("profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
