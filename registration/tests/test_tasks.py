"""The accounts app's tasks: e-mail as the worker sends it, a queue that is
down never failing the change that sent it, and the daily session housekeeping."""

import logging
from datetime import datetime, timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from registration import tasks
from registration.models import User

MESSAGE: tasks.Email = {
    "subject": "Confirm your address",
    "body": "Open the link.",
    "from_email": "site@example.com",
    "to": ["hana@example.com"],
    "headers": {"X-Test": "1"},
    "alternatives": [("<p>Open the link.</p>", "text/html")],
}


@pytest.mark.django_db
def test_the_worker_sends_text_and_html_with_the_headers():
    tasks.send_email.call_local(MESSAGE)

    (sent,) = mail.outbox
    assert (sent.subject, sent.body, sent.from_email, sent.to) == (
        "Confirm your address",
        "Open the link.",
        "site@example.com",
        ["hana@example.com"],
    )
    assert sent.extra_headers == {"X-Test": "1"}
    assert sent.alternatives == [("<p>Open the link.</p>", "text/html")]


def test_a_queue_that_is_down_loses_the_message_and_logs_it(monkeypatch, caplog):
    def queue_down(message):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks, "send_email", queue_down)

    with caplog.at_level(logging.ERROR, logger="registration.tasks"):
        tasks.queue_email(MESSAGE)  # no exception reaches the request

    assert "could not be queued" in caplog.text
    assert "hana@example.com" in caplog.text


# --- Session housekeeping ---------------------------------------------------

PASSWORD = "correct horse battery"


def log_in(username: str, user_agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(
        "/accounts/login/", {"login": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()
    return client


def signed_in(client: Client) -> bool:
    # cached_db answers from the cache first: empty it, so that the database,
    # which the housekeeping cleans, decides.
    caches["sessions"].clear()
    return client.get("/profile/").status_code == 200


@pytest.mark.django_db
def test_housekeeping_drops_expired_and_ended_sessions_and_keeps_live_ones(caplog):
    User.objects.create_user("hana", "hana@example.com", PASSWORD)
    User.objects.create_user("ivo", "ivo@example.com", PASSWORD)
    laptop = log_in("hana", "laptop")
    phone = log_in("hana", "phone")
    phone.post("/accounts/logout/")  # its session ends, allauth's record stays
    stale = log_in("ivo", "tablet")
    past = timezone.now() - timedelta(minutes=1)
    Session.objects.filter(session_key=stale.session.session_key).update(
        expire_date=past
    )
    Session.objects.create(session_key="a" * 32, session_data="", expire_date=past)
    assert UserSession.objects.count() == 3

    with caplog.at_level(logging.INFO, logger="registration.tasks"):
        tasks.clear_sessions_daily.call_local()

    live = laptop.session.session_key
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [live]
    assert Session.objects.filter(session_key=live).exists()
    assert not Session.objects.filter(expire_date__lt=timezone.now()).exists()
    assert signed_in(laptop)
    assert (
        "2 expired sessions cleared, 2 records of ended sessions deleted" in caplog.text
    )


@pytest.mark.django_db
def test_housekeeping_removes_expired_files_of_a_file_cache(settings, tmp_path, caplog):
    settings.CACHES = {
        **settings.CACHES,
        "files": {"BACKEND": "config.cache.FileCache", "LOCATION": str(tmp_path)},
    }
    files = caches["files"]
    files.set("an-old-session", "…", timeout=0)
    files.set("a-live-one", "…", timeout=3600)

    with caplog.at_level(logging.INFO, logger="registration.tasks"):
        tasks.clear_sessions_daily.call_local()

    assert files.get("a-live-one") == "…"
    assert len(list(tmp_path.glob("*.djcache"))) == 1
    assert "1 expired cache files removed" in caplog.text


@pytest.mark.django_db
def test_housekeeping_goes_through_the_records_a_batch_at_a_time(
    monkeypatch, django_assert_max_num_queries
):
    user = User.objects.create_user("hana", "hana@example.com", PASSWORD)
    keys = [f"{number:032}" for number in range(20)]
    live = keys[::3]
    UserSession.objects.bulk_create(
        UserSession(user=user, session_key=key, ip="10.0.0.1") for key in keys
    )
    Session.objects.bulk_create(
        Session(
            session_key=key,
            session_data="",
            expire_date=timezone.now() + timedelta(days=1),
        )
        for key in live
    )
    monkeypatch.setattr(tasks, "SESSIONS_BATCH", 5)

    # 4 batches of 5: a read of the records, one of their sessions and a
    # delete each, then the empty read; and the expired sessions' count and
    # delete. A look-up per record would take 20 queries or more.
    with django_assert_max_num_queries(2 + 4 * 3 + 1):
        tasks.clear_sessions_daily.call_local()

    remaining = UserSession.objects.order_by("session_key")
    assert list(remaining.values_list("session_key", flat=True)) == live


def test_housekeeping_runs_once_a_day_at_four_forty_one():
    def runs_at(moment: datetime) -> bool:
        return any(
            isinstance(task, tasks.clear_sessions_daily.task_class)
            for task in HUEY.read_periodic(moment)
        )

    start = datetime(2025, 3, 1)  # huey's clock is UTC (utc=True), naive
    minutes = (start + timedelta(minutes=n) for n in range(2 * 24 * 60))
    assert [moment for moment in minutes if runs_at(moment)] == [
        datetime(2025, 3, 1, 4, 41),
        datetime(2025, 3, 2, 4, 41),
    ]


# --- E-mail metrics ----------------------------------------------------------


@pytest.mark.django_db
def test_sent_and_failed_e_mails_are_counted(monkeypatch, scrape):
    before = scrape()
    tasks.send_email.call_local(MESSAGE)

    def server_down(self, fail_silently=False):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(tasks.EmailMultiAlternatives, "send", server_down)
    with pytest.raises(ConnectionRefusedError):  # huey retries it
        tasks.send_email.call_local(MESSAGE)
    monkeypatch.setattr(tasks, "send_email", server_down)
    tasks.queue_email(MESSAGE)

    after = scrape()
    emails = "avatars_emails_total"
    assert {
        result: after.value(emails, result=result) - before.value(emails, result=result)
        for result in ("sent", "failed", "unqueued")
    } == {"sent": 1, "failed": 1, "unqueued": 1}
