"""In Chromium, against a real worker: a new member asks for their archive,
watches it become ready, downloads it and finds their photo and data in it."""

import json
import zipfile

import pytest
from playwright.sync_api import expect

from registration.tests.test_browser import sign_up, write_photo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_member_downloads_their_archive(page, tmp_path, start_consumer):
    start_consumer()
    sign_up(page, "ines", write_photo(tmp_path, "ines.jpg", size=(800, 600)))
    expect(page.locator("#avatar")).to_have_attribute("data-state", "ready")

    page.get_by_role("link", name="Download your data").click()
    expect(page.get_by_role("link", name="Your data")).to_have_attribute(
        "aria-current", "page"
    )
    export = page.locator("#export")
    expect(export).to_have_attribute("data-state", "none")
    page.get_by_role("button", name="Prepare my archive").click()
    # Access is confirmed first, then the request goes on by itself.
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/export/")
    page.evaluate("window.notReloaded = true")

    expect(export).to_have_attribute("data-state", "ready")
    assert page.evaluate("window.notReloaded") is True
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download your archive").click()
    download = download_info.value
    assert download.suggested_filename.startswith("avatars-ines-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        profile = json.loads(archive.read("profile.json"))
    assert profile["username"] == "ines"
    assert profile["email_addresses"][0]["primary"] is True
    assert "photo/square-600px.webp" in names and "README.txt" in names
