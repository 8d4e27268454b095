"""Every dashboard page at phone size (390×844): the navigation collapses behind its toggler and nothing makes the
page scroll sideways (wide tables and charts scroll inside their own boxes). And at 1280 px in English the
navigation bar stays on one line. Reuses the live stack of tests/browser/conftest.py."""

from __future__ import annotations

from views.dashboard import PAGES

PAGE_URLS = sorted({rule for rule, _template in PAGES.values() if "<" not in rule})


def test_every_page_fits_a_phone(phone):
    """One signed-in phone context walks every page (a context per page would sign in fifteen times)."""
    page = phone.page
    wide = {}
    for url in PAGE_URLS:
        phone.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.locator(".navbar-toggler").is_visible(), url
        assert not page.locator("#nav-menu").is_visible(), url  # collapsed until the toggler opens it
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            wide[url] = overflow
    assert len(PAGE_URLS) >= 10
    assert not wide, f"pages that scroll sideways at 390 px (by px): {wide}"


def test_navigation_is_one_line_at_1280_in_english(web):
    page = web.page
    page.context.add_cookies([{"name": "lang", "value": "en", "url": web.base_url}])
    web.goto("/")
    brand = page.locator(".navbar-brand").bounding_box()
    bar = page.locator("#nav-menu").bounding_box()
    assert bar["height"] <= brand["height"] * 1.5, f"the navigation wraps: {bar['height']}px high"
    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the navigation pushes the page {overflow}px wide"
    page.locator(".nav-tools .who").click()  # the admin's menu holds "Sign out"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")
