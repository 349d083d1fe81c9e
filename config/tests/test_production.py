"""The site as deployed: the Procfile's web and worker under DJANGO_DEBUG=0.

Chromium signs up, watches the photo appear, edits the profile and downloads
its archive; any
Content-Security-Policy violation it reports fails the test.
"""

import pytest
from playwright.sync_api import expect

from testing import chromium, image_factory

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, production_site):
    context = browser.new_context(base_url=production_site.url)
    page = context.new_page()
    page.violations = chromium.record_csp_violations(page)
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
    # The preview of the chosen file (blob:) and its crop frame, under the policy.
    square = page.locator(".photo-picker__square")
    expect(square).to_be_visible()
    square.focus()
    page.keyboard.press("Minus")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/profile/")
    expect(page.locator("#avatar[data-state=ready] img")).to_be_visible()

    page.get_by_label("Bio").fill("Deployed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    for link in ["E-mail address", "Password", "Signed-in browsers", "Delete account"]:
        page.goto("/profile/")
        page.get_by_role("link", name=link).click()
        expect(page.locator(".tabs [aria-current=page]")).to_be_visible()
    # "Download your data", from the worker, under the policy too.
    page.goto("/profile/")
    page.get_by_role("link", name="Download your data").click()
    page.get_by_role("button", name="Prepare my archive").click()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#export")).to_have_attribute("data-state", "ready")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your archive").click()
    assert download.value.suggested_filename.startswith("avatars-prod-")
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login/")

    assert page.violations == []
