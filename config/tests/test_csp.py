"""The Content-Security-Policy: strict on the site's pages, looser in the admin,
and the nonce django-htmx's script tag carries."""

import re

import pytest

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part)
    }


def test_the_sites_pages_allow_no_inline_script_or_style(client):
    policy = directives(client.get("/register/"))

    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]


def test_the_admin_may_use_inline_script_and_style(admin_client):
    response = admin_client.get("/admin/")
    policy = directives(response)

    assert response.status_code == 200
    assert "'unsafe-inline'" in policy["script-src"]
    assert "'unsafe-inline'" in policy["style-src"]


def test_htmx_is_loaded_with_the_responses_nonce(client):
    response = client.get("/register/")
    (nonce,) = [
        value[len("'nonce-") : -1]
        for value in directives(response)["script-src"]
        if value.startswith("'nonce-")
    ]

    html = response.content.decode()
    assert re.search(
        rf'<script src="/static/django_htmx/[^"]+"[^>]* nonce="{re.escape(nonce)}"',
        html,
    )
