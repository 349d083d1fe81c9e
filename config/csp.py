"""Content-Security-Policy glue: the nonce under django-htmx's name, and a looser
policy for the admin."""

from collections.abc import Callable

from csp.constants import UNSAFE_INLINE
from django.http import HttpRequest, HttpResponse


def csp_nonce(request: HttpRequest) -> dict[str, object]:
    # django-csp calls it request.csp_nonce; {% htmx_script %} reads the
    # template variable csp_nonce.
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


class AdminContentSecurityPolicyMiddleware:
    """The admin and huey's stats dashboard use inline scripts and styles.

    Placed after django-csp's middleware, so that it sees the response first
    and tells it to relax the policy for /admin/ only.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response._csp_update = {  # type: ignore[attr-defined]
                "script-src": [UNSAFE_INLINE],
                "style-src": [UNSAFE_INLINE],
            }
        return response
