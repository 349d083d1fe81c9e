"""The "Your data" tab over HTTP: confirming access, asking, the limits, the
status, and the download that only its owner gets."""

import re
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from exports import tasks
from exports.models import Export, State
from exports.tests.conftest import PASSWORD, member, open_zip, signed_in
from testing.client import post

pytestmark = pytest.mark.django_db


def export_element(html: str) -> str:
    match = re.search(r'<div id="export".*?>', html, re.S)
    assert match, html
    return match.group(0)


def state_shown(client: Client) -> str:
    html = client.get("/accounts/export/").content.decode()
    return re.search(r'data-state="(\w+)"', export_element(html)).group(1)


def ask(client: Client):
    return post(client, "/accounts/export/", {}, follow=True)


def prepared_export_tasks() -> list:
    from huey.contrib.djhuey import HUEY

    return [t for t in HUEY.pending() if t.name == "prepare_export"]


def run_queued_exports() -> None:
    for task in prepared_export_tasks():
        tasks.prepare(*task.args)


def prepared(user) -> tuple[Client, Export]:
    """The member signed in, with their archive asked for and made."""
    client = signed_in(user)
    ask(client)
    run_queued_exports()
    return client, Export.objects.get(user=user, state=State.READY)


def test_the_tab_shows_no_archive_before_any_request():
    client = signed_in(member("nora"))

    html = client.get("/accounts/export/").content.decode()

    assert 'href="/accounts/export/" aria-current="page">Your data</a>' in html
    assert 'data-state="none"' in export_element(html)
    assert "Prepare my archive" in html


def test_asking_confirms_access_first_then_queues_the_archive():
    nora = member("nora")
    client = Client()
    client.force_login(nora)

    asked = post(client, "/accounts/export/", {})

    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not Export.objects.exists()
    confirmed = post(client, asked["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302
    (export,) = Export.objects.all()
    assert export.state == State.QUEUED
    assert [t.args for t in prepared_export_tasks()] == [(str(export.pk),)]
    assert state_shown(client) == "queued"


def test_the_status_polls_while_in_preparation_then_stops_at_ready():
    client = signed_in(member("nora"))
    ask(client)

    polling = client.get("/accounts/export/status/", HTTP_HX_REQUEST="true")
    assert polling.status_code == 200
    assert 'hx-trigger="every' in export_element(polling.content.decode())
    run_queued_exports()
    done = client.get("/accounts/export/status/", HTTP_HX_REQUEST="true")

    assert done.status_code == 286
    element = export_element(done.content.decode())
    assert 'data-state="ready"' in element and "hx-trigger" not in element
    assert "Download your archive" in done.content.decode()


def announcement(html: str) -> str | None:
    """The live region's text in a page or fragment, None when it is not there."""
    match = re.search(r'<p id="export-announcement"[^>]*>([^<]*)</p>', html)
    return match.group(1) if match else None


def test_the_announcement_changes_only_when_what_it_says_does():
    client = signed_in(member("nora"))
    ask(client)
    page = client.get("/accounts/export/").content.decode()
    said = re.search(r'name="said" value="([^"]*)"', page).group(1)
    assert announcement(page) == "Your archive is waiting its turn."
    assert "aria-live" not in export_element(page)
    assert 'hx-include="#export-said"' in export_element(page)

    status = "/accounts/export/status/"
    same = client.get(status, {"said": said}, HTTP_HX_REQUEST="true").content
    run_queued_exports()
    ready = client.get(status, {"said": said}, HTTP_HX_REQUEST="true").content

    assert announcement(same.decode()) is None
    assert 'id="export-said"' not in same.decode()
    assert announcement(ready.decode()) == "Your archive is ready to download."
    assert 'hx-swap-oob="innerHTML"' in ready.decode()


def test_one_archive_in_preparation_at_a_time():
    client = signed_in(member("nora"))
    ask(client)

    again = ask(client).content.decode()

    assert "Your archive is being prepared already." in again
    assert Export.objects.count() == 1
    assert len(prepared_export_tasks()) == 1


def test_the_database_holds_to_one_in_preparation_too():
    nora = member("nora")
    Export.objects.create(user=nora)
    with pytest.raises(IntegrityError):
        Export.objects.create(user=nora, state=State.PREPARING)


def test_one_new_archive_a_day_and_a_failed_one_does_not_count():
    client = signed_in(member("nora"))
    ask(client)
    Export.objects.update(state=State.FAILED, error="Storage down")
    ask(client)
    assert Export.objects.filter(state=State.QUEUED).count() == 1
    run_queued_exports()

    refused = ask(client).content.decode()

    assert "You can ask for one archive a day" in refused
    assert Export.objects.count() == 2
    # A day later it may.
    Export.objects.update(requested_at=timezone.now() - timedelta(hours=25))
    assert "Prepare a new archive" in client.get("/accounts/export/").content.decode()
    ask(client)
    assert Export.objects.filter(state=State.QUEUED).count() == 1


def test_a_failed_archive_offers_try_again():
    client = signed_in(member("nora"))
    ask(client)
    Export.objects.update(state=State.FAILED, error="We could not prepare it.")

    html = client.get("/accounts/export/").content.decode()

    assert 'data-state="failed"' in export_element(html)
    assert "We could not prepare it." in html and "Try again" in html


def downloaded(client: Client, url: str) -> tuple[int, str, bytes]:
    """Status, Content-Disposition and body of a download: from the site on
    local disk, through the presigned link on object storage."""
    response = client.get(url)
    if response.status_code == 302 and settings.AWS_STORAGE_BUCKET_NAME:
        with urllib.request.urlopen(response["Location"]) as stored:
            return 200, stored.headers["Content-Disposition"], stored.read()
    if response.status_code != 200:
        return response.status_code, "", b""
    assert response["Content-Type"] == "application/zip"
    return 200, response["Content-Disposition"], b"".join(response.streaming_content)


def test_the_owner_downloads_the_zip():
    client, export = prepared(member("nora"))

    status, disposition, data = downloaded(
        client, f"/accounts/export/{export.pk}/archive.zip"
    )

    assert status == 200
    assert disposition.startswith('attachment; filename="avatars-nora-')
    assert "profile.json" in open_zip(data)


def test_anyone_else_and_a_guessed_address_get_404():
    client = signed_in(member("nora"))
    ask(client)
    run_queued_exports()
    url = f"/accounts/export/{Export.objects.get().pk}/archive.zip"

    other = Client()
    other.force_login(member("norah"))
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert client.get(f"/accounts/export/{uuid.uuid4()}/archive.zip").status_code == 404
    assert client.get("/accounts/export/1/archive.zip").status_code == 404
    assert downloaded(client, url)[0] == 200


def test_an_archive_past_its_24_hours_is_gone_even_before_the_sweep():
    client = signed_in(member("nora"))
    ask(client)
    run_queued_exports()
    export = Export.objects.get()
    Export.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(f"/accounts/export/{export.pk}/archive.zip").status_code == 404
