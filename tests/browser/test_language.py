"""The second language, as a French reader's Chromium shows it."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_french_browser_reads_in_french_and_can_switch_to_english(
    browser, browser_context_args, live_server
):
    context = browser.new_context(**{**browser_context_args, "locale": "fr-FR"})
    page = context.new_page()

    page.goto("/no-such-page")
    expect(page.get_by_role("link", name="Aller à la page d’accueil")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()
