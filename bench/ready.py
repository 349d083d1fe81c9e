"""Section 3: from the sign-up's response to the thumbnail, after the worker has
idled long enough for its polling back-off to reach its cap."""

import re
import time
from pathlib import Path

from bench import site
from bench.client import new_address, new_sign_up, wait_for_state
from bench.photos import MP12, Photo
from bench.servers import Web
from bench.signup import username
from bench.stats import Report
from testing import chromium
from testing.processes import Worker

WRITTEN = re.compile(r"\[([0-9.]+)s\] - task \S+ user \d+: thumbnails written")

THUMBNAIL = "#avatar img.avatar__image[src*='/media/']"
# Times taken inside the page, on the page's own clock (epoch milliseconds, the
# same across the navigation from the sign-up page to the profile page): when the
# form is submitted, when the sign-up's answer starts the navigation to the
# profile page, when that page is parsed, when the thumbnail loads.
TIMING_SCRIPT = """
const now = () => performance.timeOrigin + performance.now();
document.addEventListener("submit", () => {
  sessionStorage.setItem("benchSubmitAt", String(now()));
}, true);
if (location.pathname === "/profile/") {
  // This page's navigation began when htmx got the sign-up's HX-Redirect.
  window.benchAnsweredAt = performance.timeOrigin;
  document.addEventListener("DOMContentLoaded", () => {
    window.benchProfileAt = now();
  });
}
document.addEventListener("load", (event) => {
  const img = event.target;
  if (img instanceof HTMLImageElement && img.matches("#avatar img.avatar__image")
      && img.src.includes("/media/") && window.benchThumbnailAt === undefined) {
    window.benchThumbnailAt = now();
  }
}, true);
"""


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
    photos: dict[Photo, Path],
    idle: float,
    runs: int,
) -> None:
    """The same as a person sees it: Chromium submits the form (htmx), follows the
    redirect, polls as the page does, and loads the thumbnail."""
    from django.conf import settings
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {
        "benchAnsweredAt": [],
        "benchProfileAt": [],
        "benchThumbnailAt": [],
    }
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
                    page = context.new_page()
                    page.add_init_script(TIMING_SCRIPT)
                    page.goto("/register/")
                    name = username("b")
                    page.get_by_label("Username").fill(name)
                    page.get_by_label("Email address").fill(f"{name}@example.com")
                    page.get_by_label("Password").fill("correct horse battery")
                    page.get_by_label("Profile photo").set_input_files(photos[MP12])
                    # The previous thumbnail was shown: the worker is idle since.
                    sleep_until(idle_since + idle)
                    page.get_by_role("button", name="Sign up").click()
                    # Not wait_for_function: the site's CSP forbids its eval.
                    page.wait_for_selector(THUMBNAIL, timeout=60_000)
                    deadline = time.monotonic() + 30
                    while page.evaluate("window.benchThumbnailAt") is None:
                        if time.monotonic() > deadline:
                            raise RuntimeError("the thumbnail never loaded")
                        time.sleep(0.01)  # the time is taken in the page itself
                    submitted = float(
                        page.evaluate("sessionStorage.getItem('benchSubmitAt')")
                    )
                    idle_since = time.monotonic()
                    for mark, samples in times.items():
                        at = page.evaluate(f"window.{mark}")
                        samples.append((at - submitted) / 1000)
                finally:
                    context.close()
        finally:
            browser.close()
    report.add("3", "browser: submit → sign-up answered", "s", times["benchAnsweredAt"])
    report.add(
        "3", "browser: submit → profile page parsed", "s", times["benchProfileAt"]
    )
    polling = [
        shown - parsed
        for shown, parsed in zip(
            times["benchThumbnailAt"], times["benchProfileAt"], strict=True
        )
    ]
    report.add("3", "browser: page parsed → thumbnail loaded", "s", polling)
    report.add(
        "3",
        "browser: submit → thumbnail loaded",
        "s",
        times["benchThumbnailAt"],
        ("<=", 0.6),
        note=f"first poll {settings.AVATAR_FIRST_POLL_MS} ms after load, every "
        f"{settings.AVATAR_FAST_POLL_MS} ms for "
        f"{settings.AVATAR_FAST_POLL_FOR.total_seconds():g} s, "
        f"then every {settings.AVATAR_POLL_MS} ms",
    )
