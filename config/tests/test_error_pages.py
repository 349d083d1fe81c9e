"""Error pages in the site's look with DEBUG off; the 500 and 400 pages need no
database and no context."""

import pytest
from django.core.exceptions import BadRequest
from django.test import Client, RequestFactory
from django.views import defaults

from registration.models import User


def test_the_500_page_needs_no_database_and_no_context():
    # No django_db mark: any query here would fail the test.
    response = defaults.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "/static/css/site.css" in html


def test_the_400_page_needs_no_database_and_no_context():
    response = defaults.bad_request(RequestFactory().get("/"), BadRequest())

    assert response.status_code == 400
    assert "That request could not be read" in response.content.decode()


@pytest.mark.django_db
def test_the_404_page_is_in_the_sites_look(client, settings):
    settings.DEBUG = False

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Nothing here" in html
    assert 'class="topbar"' in html


@pytest.mark.django_db
def test_a_refused_csrf_token_says_to_reload(settings):
    settings.DEBUG = False
    user = User.objects.create_user("cas", "cas@example.com", "x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/profile/", {"bio": "lost?"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "This page was out of date" in html
    assert "reload the page" in html
