"""The site as deployed: the Procfile's web and worker under DJANGO_DEBUG=0.

Chromium signs up, watches the photo appear and edits the profile; any
Content-Security-Policy violation it reports fails the test.
"""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testing import image_factory
from testing.processes import BASE_DIR, Process, Web, Worker, procfile_command

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def production_site(tmp_path_factory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("production")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        DATA_DIR=str(data_dir),
        BIND_HOST="127.0.0.1",
        WEB_CONCURRENCY="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    for command in ("migrate --noinput", "collectstatic --noinput"):
        subprocess.run(
            [sys.executable, "manage.py", *command.split()],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
        )
    web = Web("web", env, data_dir / "web.log")
    processes: list[Process] = [
        web,
        Worker("worker", procfile_command("worker"), env, data_dir / "worker.log"),
    ]
    try:
        web.wait_ready(timeout=30)
        yield web.url
    finally:
        for process in processes:
            process.stop()
        # Shown by pytest when a test here fails.
        for process in processes:
            sys.stderr.write(f"--- {process.name} log ---\n{process.log_text()}")


@pytest.fixture
def page(browser, production_site):
    context = browser.new_context(base_url=production_site)
    page = context.new_page()
    page.violations = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' +"
        " e.blockedURI))"
    )

    def record_violation(message) -> None:
        text = message.text.lower()
        if "csp violation" in text or "content security policy" in text:
            page.violations.append(message.text)

    page.on("console", record_violation)
    yield page
    context.close()


def test_production_site_works_under_its_content_security_policy(page, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(image_factory.jpeg_bytes(size=(2000, 1500), orientation=6))

    response = page.goto("/register/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    page.get_by_label("Username").fill("prod")
    page.get_by_label("Email address").fill("prod@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_label("Profile photo").set_input_files(photo)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")
    expect(page.locator("#avatar[data-state=ready] img")).to_be_visible()

    page.get_by_label("Bio").fill("Deployed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")

    assert page.violations == []
