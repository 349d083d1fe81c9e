"""Section 3: from the sign-up's response to the thumbnail, after the worker has
idled long enough for its polling back-off to reach its cap."""

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench import site
from bench.client import new_address, new_sign_up, wait_for_state
from bench.photos import MP12, Photo
from bench.servers import Web
from bench.signup import username
from bench.stats import Report
from testing import chromium
from testing.processes import Worker

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

# "… [0.104s] [req=… user=…] - task … user 1: thumbnails written (…)": the
# request's context, when there is one, sits between the time and the message.
WRITTEN = re.compile(
    r"\[([0-9.]+)s\] (?:\[[^\]]*\] )?- task \S+ user \d+: thumbnails written"
)

THUMBNAIL = "#avatar img.avatar-img--photo"
# Moments taken inside the page, on the page's own clock (epoch milliseconds,
# the same across the navigation from the sign-up page to the profile page),
# kept in sessionStorage so that the profile page adds to them.
TIMING_SCRIPT = """
const now = () => performance.timeOrigin + performance.now();
const mark = (name, at) => {
  if (sessionStorage.getItem(name) === null) {
    sessionStorage.setItem(name, String(at === undefined ? now() : at));
  }
};
document.addEventListener("change", (e) => {
  if (e.target.type === "file") mark("chosen");
}, true);
document.addEventListener("load", (e) => {
  const img = e.target;
  if (!(img instanceof HTMLImageElement)) return;
  if (img.matches(".photo-picker__image")) mark("preview");
  if (img.matches("__THUMBNAIL__")) mark("thumbnail");
}, true);
document.addEventListener("htmx:beforeRequest", (e) => {
  if (e.detail.requestConfig.verb === "post") mark("submit");
});
document.addEventListener("htmx:beforeSend", (e) => {
  if (e.detail.requestConfig.verb !== "post") return;
  e.detail.xhr.upload.addEventListener("load", () => mark("uploaded"));
});
// Request and answer times from Resource Timing: when the last byte came,
// not when htmx's handlers got to it (HX-Redirect navigates before them).
const answeredAt = (path) => {
  const entry = performance.getEntriesByType("resource").findLast(
    (r) => new URL(r.name).pathname === path);
  return entry && performance.timeOrigin + entry.responseEnd;
};
document.addEventListener("htmx:afterRequest", (e) => {
  // A poll's address carries the place in line it was given (?ahead=…).
  const path = e.detail.pathInfo.requestPath.split("?")[0];
  if (path === "/register/") {
    const entry = performance.getEntriesByType("resource").findLast(
      (r) => new URL(r.name).pathname === path);
    // The upload's end to the answer's first byte is the server's sign-up.
    mark("answer_started", performance.timeOrigin + entry.responseStart);
    mark("answered", performance.timeOrigin + entry.responseEnd);
  } else if (path === "/profile/avatar/") {
    mark("first_poll", answeredAt(path));
    // 286: the fragment is final (the thumbnail); htmx stops polling.
    if (e.detail.xhr.status === 286) mark("last_poll", answeredAt(path));
  }
});
if (location.pathname === "/profile/") {
  // This page's navigation began when htmx followed the sign-up's HX-Redirect.
  mark("navigated", performance.timeOrigin);
  document.addEventListener("DOMContentLoaded", () => mark("profile_parsed"));
}
""".replace("__THUMBNAIL__", THUMBNAIL)
# The steps of the table, each from one moment to the next.
STEPS = [
    ("chosen", "preview", "photo chosen → preview shown"),
    ("submit", "uploaded", "click → upload sent (12 MP)"),
    ("uploaded", "answer_started", "sign-up on the server"),
    ("answer_started", "answered", "answer received"),
    ("answered", "navigated", "redirect (HX-Redirect → navigation)"),
    ("navigated", "profile_parsed", "profile page loaded and parsed"),
    ("profile_parsed", "first_poll", "first poll answered"),
    ("first_poll", "last_poll", "later polls, until ready"),
    ("last_poll", "thumbnail", "thumbnail fetched and shown"),
]


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def resize_seconds(worker: Worker) -> list[float]:
    """Each "thumbnails written" line's own timing: the resize in the worker."""
    return [float(value) for value in WRITTEN.findall(worker.log_text())]


def time_to_ready(
    report: Report,
    ours: Web,
    worker: Worker,
    photos: dict[Photo, Path],
    idle: float,
    runs: int,
) -> None:
    data = photos[MP12].read_bytes()
    ready: list[float] = []
    pickup: list[float] = []
    written_before = len(resize_seconds(worker))
    for _ in range(runs):
        site.settle()
        idle_since = time.monotonic()
        sign_up = new_sign_up(ours.port, username("r"), MP12, data)
        sleep_until(idle_since + idle)
        sign_up.send()
        answered = time.perf_counter()
        ready.append(wait_for_state(sign_up.visitor, "ready") - answered)
        pickup.append(site.pickup_seconds(sign_up.username))
    resized = resize_seconds(worker)[written_before:]
    report.add("3", "12 MP: picked up after (queued → started)", "s", pickup)
    if resized:  # the worker's log lines say how long each resize took
        report.add("3", "12 MP: resize in the worker (its log)", "s", resized)
    report.add(
        "3",
        "12 MP: sign-up response → ready",
        "s",
        ready,
        ("<=", 0.25),
        note="polled every 10 ms",
    )


def browser_to_thumbnail(
    report: Report,
    ours: Web,
    worker: Worker,
    photos: dict[Photo, Path],
    idle: float,
    runs: int,
) -> None:
    """The same as a person sees it: Chromium shows the preview, submits the form
    (htmx), follows the redirect, polls as the page does, and loads the
    thumbnail. Each step's time comes from the page's own clock."""
    from playwright.sync_api import sync_playwright

    from avatars.conf import conf

    moments: list[dict[str, float]] = []
    names: list[str] = []
    written_before = len(resize_seconds(worker))
    idle_since = time.monotonic()  # the previous section waited for its photos
    with sync_playwright() as playwright:
        # main() made sure it is there: the benchmark never falls back on
        # Playwright's own browser, whose timings would not be comparable.
        browser = chromium.launch(playwright, chromium.path())
        try:
            for _ in range(runs):
                # A new visitor each time: no cookies, and an empty cache.
                context = browser.new_context(
                    base_url=ours.url,
                    extra_http_headers={"X-Forwarded-For": new_address()},
                )
                try:
                    name = username("b")
                    moments.append(
                        sign_up_in(context, name, photos[MP12], idle_since, idle)
                    )
                    names.append(name)
                    idle_since = time.monotonic()
                finally:
                    context.close()
        finally:
            browser.close()

    # Not inside Playwright's block: its event loop would make Django refuse.
    pickup = [site.pickup_seconds(name) for name in names]
    for first, then, label in STEPS:
        report.add("3", f"browser: {label}", "s", [m[then] - m[first] for m in moments])
    report.add("3", "… of which queued → picked up (the row)", "s", pickup)
    resized = resize_seconds(worker)[written_before:]
    report.add("3", "… of which the resize in the worker (its log)", "s", resized)
    report.add(
        "3",
        "browser: click → profile page parsed",
        "s",
        [m["profile_parsed"] - m["submit"] for m in moments],
    )
    report.add(
        "3",
        "browser: click → thumbnail shown",
        "s",
        [m["thumbnail"] - m["submit"] for m in moments],
        ("<=", 0.8),
        note=f"queued: first poll {conf.QUEUED_POLL_MIN_MS} ms after load; "
        f"processing: every {conf.FAST_POLL_MS} ms",
    )


def sign_up_in(
    context: "BrowserContext", name: str, photo: Path, idle_since: float, idle: float
) -> dict[str, float]:
    """One sign-up in a fresh browser context, to the thumbnail shown: the
    page's moments, in seconds."""
    page = context.new_page()
    page.add_init_script(TIMING_SCRIPT)
    chromium.fill_sign_up_form(page, name)
    page.get_by_label("Profile photo").set_input_files(photo)
    page.wait_for_selector(".photo-picker__stage:not([hidden])")
    # The previous thumbnail was shown: the worker has been idle since.
    sleep_until(idle_since + idle)
    page.get_by_role("button", name="Sign up").click()
    # Not wait_for_function: the site's CSP forbids its eval.
    page.wait_for_selector(THUMBNAIL, timeout=60_000)
    deadline = time.monotonic() + 30
    wanted = {name for step in STEPS for name in step[:2]}
    while True:
        stored = json.loads(page.evaluate("JSON.stringify({...sessionStorage})"))
        if wanted <= set(stored):
            return {key: float(stored[key]) / 1000 for key in wanted}
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page never saw {sorted(wanted - set(stored))}")
        time.sleep(0.01)  # the moments are taken in the page itself
