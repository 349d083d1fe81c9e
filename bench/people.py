"""Section 9: people's pages, with 1,000 members.

The members are written straight to the database (bulk_create, no sign-ups),
joined a millisecond apart just now, so the directory's first page is theirs.
About two thirds have a ready photo: six real WebP files each in the media
storage, copies of a few sets made once with images.make_thumbnails. Most are
visible to members, some to everyone, a few to nobody else.

wrk (8 connections, as in section 6; no htmx header: whole pages) asks as one of
them for the directory, someone's public page and the viewer's own profile, in
turns. gunicorn's two processes share a run's connections as they accept them,
not evenly: when one process takes all 8 the rate is about half. Queries a page
are counted in this process through Django's test client (the same settings,
data folder and session). The page weight is what a browser fetches
for the directory's first page: its HTML, then each avatar's address once, at 1x
(the src) and at 2x (the srcset's 2x; an initials SVG is the same at both).
"""

import html
import io
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bench.client import Visitor
from bench.poll import CONNECTIONS, WRK_SCRIPT, login_cookie, wrk
from bench.servers import Web
from bench.stats import Report

MEMBERS = 1000
PER_PAGE = 48
PHOTO_SETS = 8  # distinct photos; each member with one has files of their own
DIRECTORY = "/people/"
PROFILE = "/profile/"
# 20 × 50 usernames, as people choose them: initials and colours vary.
FIRST = (
    "anna ben chloe david emma felix grace hugo iris jonas kira leo maya nils olga"
    " paul rosa sami tara umar"
)
LAST = (
    "berg costa dahl evans fischer garcia hansen ito jensen kim lopez meyer novak"
    " olsen park quinn rossi silva tanaka ueda vidal walsh xu yilmaz zhang adams"
    " brown clark diaz ek ford gray hall ivanov jones king lee moore nash ortiz"
    " price reyes scott torres vogel white young baker cruz morgan"
)
IMG = re.compile(r'<img class="avatar-img[^"]*" src="([^"]+)"(?: srcset="([^"]+)")?')


def photo_sets() -> list[dict[int, bytes]]:
    """A few photos' thumbnails, by side in pixels, made once."""
    from avatars import images
    from testing import image_factory

    sets = []
    for _ in range(PHOTO_SETS):
        jpeg = image_factory.encode(
            image_factory.photo_like((800, 600)), "JPEG", quality=90
        )
        thumbnails = images.make_thumbnails(io.BytesIO(jpeg))
        sets.append({side: thumb.data for side, thumb in thumbnails.items()})
    return sets


def seed(members: int) -> list[str]:
    """Members and their profiles; their usernames, newest first."""
    from registration.models import Visibility
    from testing.members import add_members

    names = [f"{a}.{b}" for b in LAST.split() for a in FIRST.split()][:members]
    if len(names) < members:
        raise ValueError(f"only {len(names)} names for {members} members")
    sets = photo_sets()
    chance = random.Random(9)
    visibilities, photos = [], []
    for number in range(members):
        # The newest two are the viewer and the person whose page is asked for.
        ready = number < 2 or chance.random() < 2 / 3
        photos.append(sets[number % PHOTO_SETS] if ready else None)
        visibility = Visibility.MEMBERS
        if number >= 2:
            visibility = chance.choices(
                [Visibility.MEMBERS, Visibility.EVERYONE, Visibility.ONLY_ME],
                weights=[75, 20, 5],
            )[0]
        visibilities.append(visibility)
    add_members(names, visibilities, photos)
    return names


def count_queries(path: str, cookie: str) -> int:
    """SQL queries of one GET, through Django's handler in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} in-process answered {response.status_code}")
    return len(queries.captured_queries)


def fetched_bytes(visitor: Visitor, paths: list[str]) -> int:
    """What a browser downloads for these addresses: each one once."""
    total = 0
    for path in dict.fromkeys(paths):
        response = visitor.get(path)
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        total += len(response.body)
    return total


@dataclass(frozen=True)
class Weight:
    html: int  # bytes, as sent (the site does not compress HTML)
    at_1x: int  # the avatars' bytes, each address once
    at_2x: int
    photos: int  # avatars that are photos; the others are initials
    files: int  # distinct addresses at 1x


def page_weight(visitor: Visitor) -> Weight:
    """The directory's first page: its HTML and its avatars at 1x and 2x."""
    page = visitor.get(DIRECTORY)
    text = page.body.decode()
    start = text.find('class="people__list"')
    found = IMG.findall(text[start : text.find("</ul>", start)])
    if page.status != 200 or start < 0 or len(found) != PER_PAGE:
        raise RuntimeError(f"GET {DIRECTORY} answered {page.status}, {len(found)} img")
    at_1x, at_2x = [], []
    for src, srcset in found:
        at_1x.append(html.unescape(src))
        two = re.search(r"(\S+) 2x", html.unescape(srcset))
        at_2x.append(two.group(1) if two else at_1x[-1])
    return Weight(
        html=len(page.body),
        at_1x=fetched_bytes(visitor, at_1x),
        at_2x=fetched_bytes(visitor, at_2x),
        photos=sum(1 for _, srcset in found if srcset),
        files=len(set(at_1x)),
    )


def people_pages(
    report: Report, web: Web, runs: int, work_dir: Path, members: int = MEMBERS
) -> None:
    from django.contrib.auth import get_user_model

    names = seed(members)
    viewer = get_user_model().objects.get(username=names[0])
    cookie = login_cookie(viewer)
    person = f"/u/{names[1]}/"
    visitor = Visitor(web.port)
    name, value = cookie.split("=", 1)
    visitor.cookies[name] = value
    for path in (DIRECTORY, person, PROFILE):
        response = visitor.get(path)
        if response.status != 200:
            raise RuntimeError(f"GET {path} as {names[0]} answered {response.status}")

    script = work_dir / "wrk-summary.lua"
    script.write_text(WRK_SCRIPT)
    pages = [DIRECTORY, person, PROFILE]
    for path in pages:  # a first second each, not kept: warm processes
        wrk(web.url + path, cookie, 1, script, htmx=False)
    figures: dict[str, list[dict[str, float]]] = {path: [] for path in pages}
    for round_number in range(runs):
        turn = round_number % len(pages)
        for path in pages[turn:] + pages[:turn]:
            figures[path].append(wrk(web.url + path, cookie, 1, script, htmx=False))
            time.sleep(0.3)  # the last requests of that second finish first

    def column(path: str, key: str) -> list[float]:
        return [run[key] for run in figures[path]]

    def queries(path: str) -> list[float]:
        count_queries(path, cookie)  # once first: what a process looks up once
        return [float(count_queries(path, cookie)) for _ in range(runs)]

    c = f"{CONNECTIONS} connections, 1 s × {runs}"
    report.add("9", "directory, 48 a page", "req/s", column(DIRECTORY, "rate"), note=c)
    report.add("9", "directory p50 latency", "ms", column(DIRECTORY, "p50"))
    report.add("9", "directory p99 latency", "ms", column(DIRECTORY, "p99"))
    report.add(
        "9",
        "SQL queries per directory page",
        "count",
        queries(DIRECTORY),
        ("<=", 3),
        note=f"{members:,} members",
    )
    report.add("9", "public page /u/<name>/", "req/s", column(person, "rate"), note=c)
    report.add("9", "own profile /profile/", "req/s", column(PROFILE, "rate"), note=c)
    ratio = [
        a / b
        for a, b in zip(column(person, "rate"), column(PROFILE, "rate"), strict=True)
    ]
    report.add("9", "public page / own profile", "x", ratio)
    report.add("9", "public page p50 latency", "ms", column(person, "p50"))
    report.add("9", "own profile p50 latency", "ms", column(PROFILE, "p50"))
    report.add("9", "SQL queries per public page", "count", queries(person))
    report.add("9", "SQL queries per own profile", "count", queries(PROFILE))

    weight = page_weight(visitor)
    mix = f"{weight.photos} photos, {PER_PAGE - weight.photos} initials"
    report.add("9", "directory page: HTML", "B", [weight.html])
    report.add(
        "9",
        "… its avatars at 1x (96 px)",
        "B",
        [weight.at_1x],
        note=f"{mix}: {weight.files} files",
    )
    report.add("9", "… its avatars at 2x (192 px)", "B", [weight.at_2x])
    report.add("9", "… HTML + avatars at 1x", "B", [weight.html + weight.at_1x])
    report.add("9", "… HTML + avatars at 2x", "B", [weight.html + weight.at_2x])
