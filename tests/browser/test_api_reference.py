"""The API reference page in a real Chromium: Swagger UI (vendored) renders the generated OpenAPI document behind
sign-in, under the strict CSP, and is reachable from the navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.integration


def test_api_reference_renders_the_generated_document(web, tmp_path):
    page = web.goto("/")
    page.get_by_role("button", name="系统").click()
    page.get_by_role("link", name="API 参考").click()
    page.wait_for_url(f"{web.base_url}/api-reference")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("wechat-admin API")
    send = page.locator(".opblock-post", has=page.locator('[data-path="/api/messages/send"]'))
    expect(send).to_have_count(1)
    assert page.locator(".swagger-ui .opblock").count() >= 60  # every operation of the document
    send.locator(".opblock-summary").first.click()  # the body and the answers come from SendIn and JobAnswer
    body = send.locator(".opblock-body")
    expect(body).to_contain_text('"to"')
    expect(body).to_contain_text("202")
    expect(body).to_contain_text('"job"')
    shot = tmp_path / "api-reference.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one


def test_api_reference_needs_sign_in(anonymous):
    page = anonymous.goto("/api-reference")
    assert "/login" in page.url
