from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect


class HtmxRedirectMiddleware:
    """Answers that htmx would mishandle, made into ones it handles.

    A redirect becomes HX-Redirect: htmx follows a 302 inside its request and
    swaps the page it lands on into the form; django-allauth's views answer with
    plain redirects (they do not know htmx), so each becomes a full navigation,
    the way a form without JavaScript would go.

    A 429 (allauth's attempt limits) becomes the message, shown where the site
    shows messages: htmx swaps nothing for a 4xx, so the person would see
    nothing happen.
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
        if getattr(request, "htmx", False) and response.status_code == 429:
            answer = render(request, "429.html#message")
            answer["HX-Retarget"] = "#flash"
            answer["HX-Reswap"] = "innerHTML"
            return answer
        return response
