from allauth.mfa.models import Authenticator
from django import template

from registration.mfa import another_factor_remains

register = template.Library()


@register.filter
def leaves_another_factor(authenticator: Authenticator) -> bool:
    """Whether two-factor sign-in stays on once this factor is removed."""
    return another_factor_remains(authenticator)
