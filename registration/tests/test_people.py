"""People's pages and the directory: who sees whom, what they see (never an
address), and what a page costs."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from avatars.models import Avatar
from registration.models import Profile, User, Visibility
from testing.members import add_members
from testing.thumbnails import write_thumbnails

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def member(username: str, visibility: str = Visibility.MEMBERS, **fields) -> User:
    user = User.objects.create_user(
        username, f"{username}.secret@example.com", PASSWORD, **fields
    )
    Profile.objects.filter(pk=user.pk).update(visibility=visibility)
    return user


def signed_in_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ready_photo(user: User) -> str:
    stem = write_thumbnails()
    Avatar.objects.filter(pk=user.pk).update(state="ready", thumbnails=stem)
    return stem


# --- A person's page ---------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "anonymous", "member_sees"),
    [
        (Visibility.EVERYONE, 200, 200),
        (Visibility.MEMBERS, 404, 200),
        (Visibility.ONLY_ME, 404, 404),
    ],
)
def test_each_person_chooses_who_sees_their_page(visibility, anonymous, member_sees):
    owner = member("ines", visibility, date_joined=timezone.now())
    Profile.objects.filter(pk=owner.pk).update(bio="Painter", location="Porto")
    other = member("otto")

    assert Client().get("/u/ines/").status_code == anonymous
    assert signed_in_as(other).get("/u/ines/").status_code == member_sees
    own = signed_in_as(owner).get("/u/ines/")
    assert own.status_code == 200  # the owner always
    html = own.content.decode()
    assert "Painter" in html and "Porto" in html
    assert "Joined" in html


def test_unknown_inactive_and_deleted_people_are_the_same_404(client):
    member("ghost", Visibility.EVERYONE, is_active=False)
    gone = member("gone", Visibility.EVERYONE)
    gone.delete()
    member("hidden", Visibility.ONLY_ME)

    pages = [
        client.get(f"/u/{name}/") for name in ("nobody", "ghost", "gone", "hidden")
    ]

    assert {page.status_code for page in pages} == {404}
    # The same page, but for the CSRF token and CSP nonce each response carries.
    token = re.compile(r'"x-csrftoken": "[^"]+"|nonce="[^"]+"')
    assert len({token.sub("", page.content.decode()) for page in pages}) == 1


def test_any_case_leads_to_the_page_under_its_own_name(client):
    member("Ines", Visibility.EVERYONE)

    response = client.get("/u/iNES/")

    assert response.status_code == 301
    assert response["Location"] == "/u/Ines/"


def test_a_pending_or_failed_photo_shows_the_initials(client):
    person = member("nia.k", Visibility.EVERYONE)
    for state in ("queued", "processing", "failed"):
        Avatar.objects.filter(pk=person.pk).update(state=state)
        html = client.get("/u/nia.k/").content.decode()
        assert re.search(
            r'<img class="avatar-img avatar-img--initials" '
            r'src="/avatars/initials/\d+-NK\.svg"',
            html,
        )


def test_a_ready_photo_is_shown_with_its_2x(client):
    person = member("ada", Visibility.EVERYONE)
    stem = ready_photo(person)

    html = client.get("/u/ada/").content.decode()

    assert f'src="/media/{stem}-300.webp"' in html
    assert f'srcset="/media/{stem}-300.webp 1x, /media/{stem}-600.webp 2x"' in html
    assert 'width="300" height="300"' in html


def test_a_page_costs_two_queries(django_assert_num_queries):
    viewer = member("vic")
    member("ines", Visibility.MEMBERS)
    client = signed_in_as(viewer)
    client.get("/u/ines/")  # the session into the cache

    with django_assert_num_queries(2):  # the viewer, the person
        assert client.get("/u/ines/").status_code == 200


# --- The directory -------------------------------------------------------------


def directory(client: Client, query: str = "") -> str:
    response = client.get("/people/", {"q": query} if query else {})
    assert response.status_code == 200
    return response.content.decode()


def names_in(html: str) -> list[str]:
    return re.findall(r'class="people__name">([^<]+)<', html)


def test_the_directory_is_for_members_only(client):
    response = client.get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_directory_lists_who_allows_it_newest_first():
    now = timezone.now()
    for days, (name, visibility) in enumerate(
        [
            ("newest", Visibility.MEMBERS),
            ("public", Visibility.EVERYONE),
            ("private", Visibility.ONLY_ME),
            ("oldest", Visibility.MEMBERS),
        ]
    ):
        member(name, visibility, date_joined=now - timedelta(days=days + 1))
    member("inactive", is_active=False)
    viewer = member("viewer", date_joined=now - timedelta(days=30))

    html = directory(signed_in_as(viewer))

    assert names_in(html) == ["newest", "public", "oldest", "viewer"]


def test_the_directory_pages_by_48_without_javascript():
    now = timezone.now()
    for n in range(50):
        member(f"m{n:02}", date_joined=now - timedelta(minutes=n))
    client = signed_in_as(User.objects.get(username="m00"))

    first = directory(client)
    older = re.search(r'href="(\?after=[^"]+)" rel="next"', first)
    assert older, "the first page links to older members"
    second = client.get("/people/" + older.group(1).replace("&amp;", "&"))
    second_html = second.content.decode()

    assert len(names_in(first)) == 48 and names_in(first)[0] == "m00"
    assert 'rel="prev"' not in first
    assert names_in(second_html) == ["m48", "m49"]
    assert 'rel="prev"' in second_html and 'rel="next"' not in second_html


def test_the_search_narrows_by_username_and_keeps_the_query_in_links():
    for name in ("anna", "hannah", "bob", *(f"ann{n:02}" for n in range(50))):
        member(name)
    client = signed_in_as(User.objects.get(username="bob"))

    html = directory(client, "ANN")
    htmx = client.get("/people/", {"q": "hann"}, HTTP_HX_REQUEST="true")

    assert names_in(html)[:3] == ["ann00", "ann01", "ann02"]
    assert len(names_in(html)) == 48
    assert "bob" not in names_in(html) and "hannah" not in names_in(html)
    assert 'href="?q=ANN&amp;after=' in html
    assert htmx.content.decode().lstrip().startswith('<div id="results"')
    assert names_in(htmx.content.decode()) == ["hannah"]


def test_every_avatar_in_the_directory_keeps_its_place_while_loading():
    for n in range(5):
        person = member(f"p{n}")
        if n % 2:
            ready_photo(person)

    html = directory(signed_in_as(User.objects.get(username="p0")))

    images = re.findall(r"<img [^>]+>", html)
    avatars = [tag for tag in images if "avatar-img" in tag and "96" in tag]
    assert len(avatars) == 5
    for tag in avatars:
        assert 'width="96" height="96"' in tag
        assert 'loading="lazy"' in tag and 'decoding="async"' in tag


def test_a_directory_page_costs_two_queries_whatever_its_size(
    django_assert_num_queries,
):
    add_members(
        [f"q{n:02}" for n in range(60)],
        photos=[{} if n % 3 == 0 else None for n in range(60)],
    )
    client = signed_in_as(User.objects.get(username="q00"))
    client.get("/people/")

    with django_assert_num_queries(2):  # the viewer, the page (no count)
        html = directory(client)
    assert len(names_in(html)) == 48


def test_no_address_appears_on_any_public_page():
    people = [member(f"e{n}", Visibility.EVERYONE) for n in range(3)]
    viewer = signed_in_as(people[0])

    pages = [directory(viewer), directory(viewer, "e1")]
    pages += [viewer.get(f"/u/{p.username}/").content.decode() for p in people]
    pages += [Client().get(f"/u/{p.username}/").content.decode() for p in people]

    for html in pages:
        assert "@example.com" not in html
        assert ".secret" not in html
