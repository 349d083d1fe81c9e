"""The site's admin: Django's, except that a staff member without a second
factor is sent to set one up first while settings.ADMIN_REQUIRE_MFA is on."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect

from registration.mfa import needs_second_factor

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class SiteAdmin(admin.AdminSite):
    def admin_view(self, view: View, cacheable: bool = False) -> View:
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(
            request: HttpRequest, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if needs_second_factor(request):
                messages.warning(
                    request,
                    "The admin asks for two-factor sign-in: set up an "
                    "authenticator app here to use it.",
                )
                return redirect("mfa_index")
            return inner(request, *args, **kwargs)

        return cast(View, guarded)
