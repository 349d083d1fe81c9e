"""The status fragment's pacing: when each answer tells the browser to ask next,
and what it tells the person about the wait."""

import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from avatars import pacing, recovery, state
from avatars.conf import conf
from avatars.models import Avatar, State
from testing.client import HTMX, avatar_element, signup
from testing.members import add_members
from testing.plans import costly_queries

pytestmark = pytest.mark.django_db

TRIGGER = re.compile(r'hx-trigger="every (\d+)ms, visibilitychange from:document"')


def workers_publish(threads: int = 2, resize_seconds: float | None = None) -> None:
    """Play a live consumer's part: its heartbeat and its figures."""
    pacing._this_process.threads = threads
    pacing._this_process.resize_seconds = resize_seconds
    recovery.beat()
    pacing.forget_last_look()


@pytest.fixture(autouse=True)
def this_process_is_no_worker(settings):
    # The suite's fast clocks take a worker for dead after 2 s; these tests
    # beat once and then take their time.
    settings.AVATAR_WORKER_TIMEOUT_SECONDS = 60
    yield
    pacing._this_process.threads = 0
    pacing._this_process.resize_seconds = None


def delay_of(html: str) -> int:
    match = TRIGGER.search(avatar_element(html))
    assert match, avatar_element(html)
    return int(match.group(1))


def next_url(html: str) -> str:
    match = re.search(r'hx-get="([^"]+)"', avatar_element(html))
    assert match
    return match.group(1).replace("&amp;", "&")


def fragment(client: Client, url: str = "/profile/avatar/") -> str:
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def queue_others(count: int) -> None:
    """Photos queued before anyone who signs up after this."""
    ids = add_members([f"early{n}" for n in range(count)])
    earlier = timezone.now() - timedelta(minutes=1)
    Avatar.objects.filter(pk__in=ids.values()).update(
        state=State.QUEUED, queued_at=earlier
    )


def test_with_no_worker_alive_it_asks_every_ten_seconds_and_says_why(
    client, photo_jpeg
):
    signup(client, photo_jpeg)

    html = fragment(client)

    assert delay_of(html) == conf.NO_WORKER_POLL_MS >= 10_000
    assert 'data-worker="absent"' in avatar_element(html)
    assert "data-queue-position" not in html
    assert "No worker is running right now" in html


def test_first_in_line_it_asks_soon_then_less_often_while_the_line_stands(
    client, photo_jpeg
):
    workers_publish()
    signup(client, photo_jpeg)

    page = client.get("/profile/").content.decode()
    delays = [delay_of(page)]
    url = next_url(page)
    for _ in range(6):
        html = fragment(client, url)
        delays.append(delay_of(html))
        url = next_url(html)

    assert delays == [250, 500, 1000, 2000, 4000, 5000, 5000]
    assert 'data-queue-position="1"' in avatar_element(page)
    assert "Next in line…" in page
    assert 'data-worker="present"' in avatar_element(page)


def test_tenth_in_line_it_asks_about_when_its_turn_comes_and_says_so(
    client, photo_jpeg
):
    queue_others(9)
    workers_publish(threads=2, resize_seconds=0.4)  # 0.2 s a photo for the two
    signup(client, photo_jpeg)

    html = fragment(client)
    Avatar.objects.filter(user__username__in=["early0", "early1", "early2"]).update(
        state=State.PROCESSING
    )
    moved = fragment(client, next_url(html))

    assert 'data-queue-position="10"' in avatar_element(html)
    assert "10th in line, about 2 s" in html  # 9 × 0.2 s, then its own 0.4 s
    assert delay_of(html) == 1800
    assert 'data-queue-position="7"' in avatar_element(moved)
    assert "7th in line, about 2 s" in moved
    assert delay_of(moved) == 1200  # the line moved: no doubling


def test_a_long_line_waits_at_most_the_longest_delay(client, photo_jpeg):
    queue_others(30)
    workers_publish(threads=1, resize_seconds=3.0)
    signup(client, photo_jpeg)

    html = fragment(client)

    assert delay_of(html) == conf.QUEUED_POLL_MAX_MS == 5000
    assert "31st in line, about 2 min" in html


def test_processing_asks_every_100ms_at_first_then_backs_off_to_a_second(
    client, photo_jpeg
):
    workers_publish()
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    state.mark_processing(avatar.pk, avatar.task_id, "host:1")

    delays = []
    for seconds in (0, 1.9, 3, 4, 10):
        started = timezone.now() - timedelta(seconds=seconds)
        Avatar.objects.update(started_at=started)
        delays.append(delay_of(fragment(client)))

    assert delays == [100, 100, 200, 400, 1000]
    assert "data-queue-position" not in fragment(client)


@pytest.mark.parametrize("workers", [True, False], ids=["in line", "no worker"])
def test_a_photo_that_waits_a_minute_costs_at_most_15_polls(
    client, photo_jpeg, workers
):
    if workers:
        queue_others(3)
        workers_publish(threads=1, resize_seconds=0.05)
    signup(client, photo_jpeg)

    waited, polls = 0, 0
    html = client.get("/profile/").content.decode()
    while True:
        waited += delay_of(html)
        if waited > 60_000:
            break
        html = fragment(client, next_url(html))
        polls += 1
        if workers:
            workers_publish(threads=1, resize_seconds=0.05)  # alive, not moving

    assert polls <= 15


@pytest.mark.parametrize(
    "query",
    [
        "?ahead=x&delay=250",
        "?ahead=0&delay=99999999999999999999999",
        "?ahead=0&delay=-1",
        "?ahead=0&delay=1",
        "?ahead=0",
        "?ahead=0&delay=5001",
    ],
)
def test_a_poll_with_an_odd_address_is_paced_as_a_first_one(client, photo_jpeg, query):
    workers_publish()
    signup(client, photo_jpeg)

    assert delay_of(fragment(client, "/profile/avatar/" + query)) == 250


def test_the_finished_fragment_carries_no_trigger(client, photo_jpeg):
    workers_publish()
    signup(client, photo_jpeg)
    avatar = Avatar.objects.get()
    Avatar.objects.update(state=State.PROCESSING)
    HUEY.put_result(avatar.task_id, {"image": avatar.image.name, "error": "Damaged."})

    response = client.get("/profile/avatar/?ahead=0&delay=500", **HTMX)

    assert response.status_code == 286
    assert "hx-trigger" not in avatar_element(response.content.decode())


def test_a_queued_poll_costs_the_viewer_and_one_count(
    client, photo_jpeg, django_assert_num_queries
):
    queue_others(5)
    workers_publish()
    signup(client, photo_jpeg)
    client.get("/profile/avatar/", **HTMX)  # the session into the cache

    with django_assert_num_queries(2):
        html = fragment(client)
    assert 'data-queue-position="6"' in html


def test_the_workers_are_counted_on_every_host_and_the_silent_left_out():
    now = time.time()
    stale = now - conf.WORKER_TIMEOUT_SECONDS - 1
    snapshot = {
        "a:1": (now, 2, 0.5),
        "b:7": (now, 1, 2.0),
        "c:9": (stale, 8, 9.0),
    }

    workers = pacing.workers_in(snapshot)

    assert workers.count == 3
    assert workers.resize_seconds == pytest.approx((2 * 0.5 + 2.0) / 3)
    assert pacing.workers_in({}).count == 0


def test_two_consumers_publish_side_by_side_and_a_dead_one_drops_out():
    now = time.time()
    HUEY.put(pacing.PACE_KEY, {"gone:1": (now - 600, 4, 1.0), "other:2": (now, 1, 1.0)})
    pacing._this_process.threads = 2

    pacing.publish("this:3")

    snapshot = HUEY.get(pacing.PACE_KEY, peek=True)
    assert sorted(snapshot) == ["other:2", "this:3"]
    assert snapshot["this:3"][1:] == (2, None)


def test_the_mean_follows_recent_resizes():
    pacing.record_resize(1.0)
    first = pacing._this_process.resize_seconds
    for _ in range(20):
        pacing.record_resize(0.1)

    assert first == 1.0
    assert 0.1 < pacing._this_process.resize_seconds < 0.12  # the old one all but gone


@pytest.mark.integration
def test_the_place_in_line_is_counted_on_an_index():
    """At a size where the planner prefers an index when there is one: 20,000
    avatars, 1,000 of them queued."""
    ids = sorted(add_members([f"m{n}" for n in range(20_000)]).values())
    start = timezone.now() - timedelta(hours=1)
    queued = [
        Avatar(pk=pk, state=State.QUEUED, queued_at=start + timedelta(seconds=n))
        for n, pk in enumerate(ids[:1000])
    ]
    Avatar.objects.bulk_update(queued, ["state", "queued_at"], batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    last = Avatar.objects.get(pk=ids[999])

    assert pacing.queued_ahead(last) == 999
    costly = costly_queries(lambda: pacing.queued_ahead(last), ("avatars_avatar",))
    assert not costly, list(costly.values())
