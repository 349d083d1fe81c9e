"""Reporting a person from their page: who can, how often, and what the
reported person never learns."""

import pytest
from django.core.cache import cache
from django.test import Client

from moderation.models import Reason, Report
from registration.models import Visibility
from registration.tests.test_people import member, signed_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def daily_limit(settings):
    settings.ACCOUNT_RATE_LIMITS = {"report": "10/1d/user"}
    cache.clear()
    yield
    cache.clear()


def report(client: Client, username: str, **data: str):
    return client.post(f"/u/{username}/report/", {"reason": "spam", **data})


def test_a_member_reports_from_the_page_without_javascript():
    member("paula")
    reporter = signed_in_as(member("rita"))
    page = reporter.get("/u/paula/").content.decode()
    assert 'href="/u/paula/report/"' in page
    form = reporter.get("/u/paula/report/")
    assert form.status_code == 200
    assert "Offensive photo" in form.content.decode()

    sent = report(reporter, "paula", reason="impersonation", note="Not her")

    assert sent.status_code == 302 and sent["Location"] == "/u/paula/"
    (found,) = Report.objects.all()
    assert (found.person.username, found.reporter.username) == ("paula", "rita")
    assert (found.reason, found.note) == (Reason.IMPERSONATION, "Not her")
    assert (
        "our moderators will look at it" in reporter.get("/u/paula/").content.decode()
    )


def test_with_htmx_the_form_opens_and_answers_in_place():
    member("paula")
    reporter = signed_in_as(member("rita"))

    opened = reporter.get("/u/paula/report/", HTTP_HX_REQUEST="true")
    sent = reporter.post("/u/paula/report/", {"reason": "spam"}, HTTP_HX_REQUEST="true")

    assert opened.content.decode().lstrip().startswith('<div id="report-box"')
    assert "<html" not in opened.content.decode()
    assert sent.status_code == 200
    assert "our moderators will look at it" in sent.content.decode()
    assert Report.objects.count() == 1


def test_a_second_report_updates_the_open_one():
    member("paula")
    reporter = signed_in_as(member("rita"))
    report(reporter, "paula", reason="spam")
    first = Report.objects.get()

    report(reporter, "paula", reason="other", note="Still at it")

    (only,) = Report.objects.all()
    assert only.pk == first.pk
    assert (only.reason, only.note) == ("other", "Still at it")
    # Once closed by staff, a new report opens.
    Report.objects.update(closed_at=first.created_at)
    report(reporter, "paula")
    assert Report.objects.count() == 2


def test_at_most_ten_reports_a_day_then_429():
    names = [f"p{number:02}" for number in range(11)]
    for name in names:
        member(name)
    reporter = signed_in_as(member("rita"))

    answers = [report(reporter, name).status_code for name in names]

    assert answers == [302] * 10 + [429]
    assert Report.objects.count() == 10
    # Another member has a budget of their own.
    assert report(signed_in_as(member("sara")), "p10").status_code == 302


def test_nobody_reports_themselves_and_is_told_why():
    rita = member("rita")
    client = signed_in_as(rita)

    for answer in (client.get("/u/rita/report/"), report(client, "rita")):
        assert answer.status_code == 403
        assert "You cannot report yourself" in answer.content.decode()
    assert Report.objects.count() == 0
    assert 'href="/u/rita/report/"' not in client.get("/u/rita/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "rude"},
        {"reason": ""},
        {"reason": "spam", "note": "x" * 501},
    ],
)
def test_bad_reports_are_refused_with_the_form(data):
    member("paula")
    answer = signed_in_as(member("rita")).post("/u/paula/report/", data)
    assert answer.status_code == 200
    assert 'class="errors"' in answer.content.decode()
    assert Report.objects.count() == 0


def test_only_members_who_can_see_the_page_can_report_it(client):
    member("paula", Visibility.ONLY_ME)
    member("olga")

    assert client.get("/u/olga/report/")["Location"].startswith("/accounts/login/")
    assert report(signed_in_as(member("rita")), "paula").status_code == 404
    assert report(signed_in_as(member("sara")), "nobody").status_code == 404
    assert Report.objects.count() == 0


def test_the_reported_person_never_sees_who_reported_them():
    paula = member("paula")
    report(signed_in_as(member("rita")), "paula", note="from rita")

    pages = [signed_in_as(paula).get(url) for url in ("/u/paula/", "/profile/")]

    for page in pages:
        assert page.status_code == 200
        assert "rita" not in page.content.decode()
