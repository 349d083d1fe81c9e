"""Answers htmx would mishandle, turned into ones it handles (config.htmx)."""

import pytest
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client, RequestFactory
from django_htmx.middleware import HtmxMiddleware

from config.htmx import HtmxRedirectMiddleware
from registration.models import User

pytestmark = pytest.mark.django_db


def through_middleware(response: HttpResponse, htmx: bool) -> HttpResponse:
    headers = {"HX-Request": "true"} if htmx else {}
    request = RequestFactory().get("/somewhere/", headers=headers)
    chain = HtmxMiddleware(HtmxRedirectMiddleware(lambda request: response))
    return chain(request)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_htmx_becomes_a_full_navigation(status):
    redirect = HttpResponseRedirect("/profile/")
    redirect.status_code = status

    answer = through_middleware(redirect, htmx=True)

    assert answer.status_code == 200  # htmx acts on HX-Redirect in a 2xx only
    assert answer["HX-Redirect"] == "/profile/"


def test_a_redirect_without_htmx_stays_a_redirect():
    answer = through_middleware(HttpResponseRedirect("/profile/"), htmx=False)

    assert answer.status_code == 302
    assert answer["Location"] == "/profile/"
    assert not answer.has_header("HX-Redirect")


def test_other_answers_to_htmx_pass_unchanged():
    for original in [HttpResponse("fine"), HttpResponse("nope", status=404)]:
        assert through_middleware(original, htmx=True) is original
    no_location = HttpResponse(status=304)
    assert through_middleware(no_location, htmx=True) is no_location


def test_allauths_login_answers_htmx_with_hx_redirect():
    User.objects.create_user("bo", "bo@example.com", "correct horse battery")

    response = Client().post(
        "/accounts/login/",
        {"login": "bo", "password": "correct horse battery"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/profile/"


def test_a_throttled_htmx_sign_up_shows_the_message_in_place(settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "1/m/ip"}
    visitor = Client()
    visitor.post("/register/", {"username": "one"}, HTTP_HX_REQUEST="true")

    response = visitor.post("/register/", {"username": "two"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert response["HX-Retarget"] == "#flash"
    assert response["HX-Reswap"] == "innerHTML"
    assert "Too many attempts" in response.content.decode()


def test_a_throttled_plain_sign_up_gets_a_429_page(settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "1/m/ip"}
    visitor = Client()
    visitor.post("/register/", {"username": "one"})

    response = visitor.post("/register/", {"username": "two"})

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "<h1>" in response.content.decode()  # the site's page, not a bare text
