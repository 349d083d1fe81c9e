"""The directory's pages: newest first by cursor, search by the start of a
name, and what the database does for each at a size where it matters."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from registration import directory, seeding
from registration.models import Profile, User, Visibility
from testing.members import add_members
from testing.plans import costly_queries

pytestmark = pytest.mark.django_db


def names_in(html: str) -> list[str]:
    return re.findall(r'class="people__name">([^<]+)<', html)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def viewer() -> Client:
    client = Client()
    client.force_login(User.objects.create_user("viewer", "v@example.com", "x"))
    return client


def walk(client: Client, start: str, rel: str, between=lambda: None) -> list[str]:
    """Every name from `start`, following `rel` links to the end."""
    seen, url = [], start
    while url:
        html = client.get(url if url.startswith("/") else f"/people/{url}")
        html = html.content.decode()
        seen += names_in(html)
        url = link(html, rel)
        between()
    return seen


def test_older_pages_show_everyone_once_while_people_sign_up_between_them():
    now = timezone.now()
    # Two members joined in the same microsecond as each of the first 60:
    # the id settles the order between them.
    add_members([f"a{n:03}" for n in range(130)], now=now)
    add_members([f"b{n:03}" for n in range(60)], now=now)
    client = viewer()
    User.objects.filter(username="viewer").update(date_joined=now - timedelta(days=9))
    expected = list(directory.listed().order_by("-date_joined", "-pk"))
    arrivals = iter(range(1000))

    def someone_signs_up() -> None:
        n = next(arrivals)
        User.objects.create_user(f"new{n}", f"new{n}@example.com", "x")

    seen = walk(client, "/people/", "next", between=someone_signs_up)

    assert seen == [user.username for user in expected]
    assert len(seen) == 191 and len(set(seen)) == 191


def test_newer_links_lead_back_to_the_first_page():
    add_members([f"m{n:03}" for n in range(150)])
    client = viewer()
    pages = [client.get("/people/").content.decode()]
    while older := link(pages[-1], "next"):
        pages.append(client.get(f"/people/{older}").content.decode())

    back = walk(client, link(pages[-1], "prev") or "", "prev")

    assert len(pages) == 4
    assert link(pages[0], "prev") is None
    assert back == [name for html in pages[-2::-1] for name in names_in(html)]
    assert "Newer" in pages[1] and "Older" in pages[1]


@pytest.mark.parametrize(
    "cursor",
    [
        "after=x",
        "after=12-",
        "after=-12",
        "after=1-2-3",
        "after=%EF%BC%91%EF%BC%92-3",  # full-width digits
        "after=99999999999999999-1",  # past the last date there is
        "before=99999999999999999-1",
        "after=" + "9" * 300,
        "after=0-0",  # before anyone joined: leads nowhere
        "q=m&after=" + "z" * 31,
    ],
)
def test_a_malformed_or_stale_cursor_gives_the_first_page(cursor):
    add_members([f"m{n:03}" for n in range(60)])
    client = viewer()
    search = cursor.startswith("q=")

    response = client.get(f"/people/?{cursor}")

    first = client.get("/people/?q=m" if search else "/people/").content.decode()
    assert response.status_code == 200
    assert names_in(response.content.decode()) == names_in(first)


def test_a_cursor_outlives_the_member_it_names():
    add_members([f"m{n:03}" for n in range(100)])
    client = viewer()
    first = client.get("/people/").content.decode()
    older = link(first, "next")

    gone = names_in(first)[-1]
    User.objects.filter(username=gone).delete()

    second = client.get(f"/people/{older}").content.decode()

    assert names_in(second)[0] == f"m{int(gone[1:]) + 1:03}"


def test_the_search_finds_names_that_start_with_it_in_any_case_in_name_order():
    add_members(["Anna", "hannah", "ANNE", "ann.b", "ann_c", "ann-d", "bob", "Annex"])
    Profile.objects.filter(user__username="Annex").update(visibility=Visibility.ONLY_ME)
    client = viewer()

    html = client.get("/people/", {"q": "aNn"}).content.decode()

    # In byte order of the lower-case name, as the index keeps them.
    assert names_in(html) == ["ann-d", "ann.b", "ann_c", "Anna", "ANNE"]
    assert "hannah" not in html and link(html, "next") is None


def test_the_search_pages_forward_and_back_in_name_order():
    names = [f"user{n:03}" for n in range(120)]
    add_members(names[::-1])  # joined in the opposite order to their names
    client = viewer()
    pages = [client.get("/people/?q=USER").content.decode()]
    while after := link(pages[-1], "next"):
        pages.append(client.get(f"/people/{after}").content.decode())

    back = walk(client, link(pages[-1], "prev") or "", "prev")

    assert [name for html in pages for name in names_in(html)] == names
    assert back == names[48:96] + names[:48]
    assert "Next" in pages[1] and "Previous" in pages[1]


def test_nobody_matches_says_so():
    add_members(["anna"])

    html = viewer().get("/people/", {"q": "zed"}).content.decode()

    assert "Nobody's username starts with “zed”." in html


@pytest.mark.integration
def test_the_pages_need_no_scan_of_the_members_and_no_sort():
    """On every backend, at a size where the planner prefers indexes when it
    has them: the first page, an older one, the search and its next page."""
    for _ in seeding.seed_members(10_000):
        pass
    seeding.analyse()
    client = viewer()
    first = client.get("/people/").content.decode()
    older = f"/people/{link(first, 'next')}"
    newer = f"/people/{link(client.get(older).content.decode(), 'prev')}"
    search = "/people/?q=MEMBER00001"
    next_names = f"/people/{link(client.get(search).content.decode(), 'next')}"

    # The first page walks the order's index from its start, up to a page.
    costly = costly_queries(lambda: client.get("/people/"), walk=True)
    assert not costly, list(costly.values())
    for url in [older, newer, search, next_names]:
        costly = costly_queries(lambda url=url: client.get(url))
        assert not costly, (url, list(costly.values()))
