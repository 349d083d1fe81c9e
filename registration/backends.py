from django.contrib.auth.backends import ModelBackend

from registration.models import User


class ModelBackendWithProfile(ModelBackend):
    """Django's backend, loading the user's profile in the same query.

    Every page and every status poll reads request.user.profile: one joined
    query instead of two.
    """

    def get_user(self, user_id: int) -> User | None:
        try:
            user = User._default_manager.select_related("profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
