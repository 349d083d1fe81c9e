from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


class HtmxRedirectMiddleware:
    """A redirect in answer to an htmx request becomes HX-Redirect.

    htmx follows a 302 inside its XMLHttpRequest and swaps the page it lands on
    into the form; django-allauth's views answer with plain redirects (they do
    not know htmx), so this turns each into a full navigation, the way a form
    without JavaScript would go.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code in (301, 302, 303, 307, 308)
            and response.has_header("Location")
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response
