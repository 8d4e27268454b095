"""The operator's story on the padpro driver (the sandbox's gateway face): the same steps as test_dashboard.py,
reused, not copied, on a live stack whose worker runs WECHAT_DRIVER=padpro; padpro sends files too, so nothing is
greyed out on the send page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import test_dashboard as dashboard

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("live", ["padpro"], indirect=True)]


def test_login_by_scan_on_padpro(web, live):
    dashboard.test_wechat_login_by_scan_shows_qr_and_live_state(web, live)


def test_send_text_and_image_on_padpro_and_files_not_greyed_out(web, live):
    dashboard.test_send_text_and_image_to_two_friends_and_a_group(web, live)
    page = web.goto("/send")
    expect(page.locator("[data-capability=send_file]")).to_have_count(0)
    assert page.get_attribute("#send-files", "accept") != "image/*"
