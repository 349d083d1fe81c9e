"""Who a request is, and who may sign in: allauth's backend with our query."""

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from registration.backends import ModelBackendWithProfile
from registration.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


@pytest.fixture
def hana() -> User:
    return User.objects.create_user("Hana", "hana@example.com", PASSWORD)


def test_the_user_comes_with_profile_and_avatar_in_one_joined_query(
    hana, django_assert_num_queries
):
    with django_assert_num_queries(1) as captured:
        user = ModelBackendWithProfile().get_user(hana.pk)
    with django_assert_num_queries(0):
        assert user is not None
        assert user.profile.user_id == user.avatar.user_id == hana.pk

    (query,) = captured.captured_queries
    assert query["sql"].count(" JOIN ") == 2


def test_a_signed_in_request_reads_user_profile_and_avatar_once(
    hana, django_assert_num_queries
):
    client = Client()
    client.force_login(hana)
    client.get("/profile/avatar/", HTTP_HX_REQUEST="true")  # sessions are cached

    with django_assert_num_queries(1):
        response = client.get("/profile/avatar/", HTTP_HX_REQUEST="true")
    assert response.wsgi_request.user == hana


def test_an_unknown_or_inactive_user_is_nobody(hana):
    backend = ModelBackendWithProfile()
    assert backend.get_user(hana.pk + 1000) is None
    User.objects.filter(pk=hana.pk).update(is_active=False)
    assert backend.get_user(hana.pk) is None


@pytest.mark.parametrize(
    "login", ["Hana", "hana", "HANA", "hana@example.com", " HANA@Example.com "]
)
def test_signing_in_by_username_or_address_in_any_case(hana, login):
    assert authenticate(None, username=login, password=PASSWORD) == hana
    assert authenticate(None, username=login, password="wrong") is None


def test_an_address_waiting_to_be_confirmed_does_not_sign_in(hana):
    # The address a change waits to confirm is already a row of allauth's.
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=hana, email="new@example.com", verified=False)

    assert authenticate(None, email="new@example.com", password=PASSWORD) is None
    assert authenticate(None, email="hana@example.com", password=PASSWORD) == hana
