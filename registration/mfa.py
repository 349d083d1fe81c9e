"""Two-factor sign-in on allauth.mfa: its adapter, the two-factor tab, what
the person is told when the last factor goes, and the admin's requirement.

allauth does the work (codes, attempt limits, confirm access, recovery codes,
"trust this browser", the e-mails, which go out through AccountAdapter's
worker queue like every other); this module only says it in the site's words.
"""

from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings, signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.views import IndexView
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.dispatch import receiver
from django.http import HttpRequest

# What signs in as a second factor; recovery codes only stand in for one.
FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "unverified_email": "Confirm your e-mail address first: two-factor "
        "sign-in needs an address you can always be reached at.",
        "add_email_blocked": "While two-factor sign-in is on, the address "
        "cannot be changed: turn it off on the Two-factor tab, change the "
        "address, then set it up again.",
        "incorrect_code": "That code is not right.",
        "not_a_passkey": "That key was added as a second factor only: sign in "
        "with your password, then use the key.",
        "unknown_key": "That passkey is not on any account here (it may have "
        "been removed). Sign in with your password.",
    }


def has_second_factor(user: AbstractBaseUser) -> bool:
    return bool(is_mfa_enabled(user, FACTORS))


def another_factor_remains(authenticator: Authenticator) -> bool:
    return bool(
        Authenticator.objects.filter(user_id=authenticator.user_id, type__in=FACTORS)
        .exclude(pk=authenticator.pk)
        .exists()
    )


class TwoFactorView(IndexView):
    """allauth's two-factor page, with what ours also says: an address still
    to confirm (allauth refuses to add a factor until it is) and how long a
    trusted browser goes without a code."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["unconfirmed_addresses"] = list(
            EmailAddress.objects.filter(user=self.request.user, verified=False)
            .order_by("-primary", "email")
            .values_list("email", flat=True)
        )
        context["trust_days"] = (
            app_settings.TRUST_COOKIE_AGE.days if app_settings.TRUST_ENABLED else 0
        )
        context["keys"] = Authenticator.objects.filter(
            user_id=self.request.user.pk, type=Authenticator.Type.WEBAUTHN
        ).order_by("created_at", "pk")
        context["admin_requires_it"] = (
            settings.ADMIN_REQUIRE_MFA and self.request.user.is_staff
        )
        return context


index = TwoFactorView.as_view()


@receiver(signals.authenticator_removed)
def say_when_two_factor_is_off(
    sender: type[Authenticator],
    request: HttpRequest,
    user: AbstractBaseUser,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    """Removing the last factor turns two-factor sign-in off (allauth deletes
    the recovery codes with it): say so, once."""
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        return
    if not has_second_factor(user):
        get_account_adapter(request).add_message(
            request,
            messages.WARNING,
            message="Two-factor sign-in is off: your password alone signs you "
            "in now, and your recovery codes no longer work.",
        )


def needs_second_factor(request: HttpRequest) -> bool:
    """A staff member without a second factor, while the admin requires one
    (settings.ADMIN_REQUIRE_MFA)."""
    user = request.user
    return bool(
        settings.ADMIN_REQUIRE_MFA
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and not has_second_factor(user)
    )
