"""The site's frame: landmarks and a skip link on every page, and the static files it needs."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from tests.conftest import login

LAYOUT_PAGES = [("/", 200), ("/groups/", 200), ("/no/such/page", 404)]


def landmarks(html: str) -> dict[str, int]:
    tags = ("header", "nav", "main", "footer")
    return {tag: len(re.findall(rf"<{tag}[\s>]", html)) for tag in tags}


@pytest.mark.parametrize(("url", "status"), LAYOUT_PAGES)
def test_pages_have_a_skip_link_and_landmarks(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    body = html[html.index("<body") :]
    first_link = re.search(r"<a\b[^>]*>", body).group(0)
    assert 'href="#content"' in first_link, "the skip link is the first thing to tab to"
    assert re.search(r'<main id="content"[^>]*tabindex="-1"', html)
    found = landmarks(html)
    assert found["header"] >= 1 and found["main"] == 1 and found["footer"] >= 1
    assert found["nav"] >= 1
    assert re.search(r'<nav aria-label="Main">', html)
    assert '<html lang="en">' in html
    assert re.search(r'<meta name="description" content="[^"]+">', html)
    assert re.search(r'<meta name="viewport" content="width=device-width', html)


def test_no_inline_scripts_or_styles(client):
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all("src=" in attributes for attributes in scripts)
    assert "<style" not in html and "style=" not in html
    assert re.search(r'<script src="/static/js/forum\.js[^"]*" defer>', html)


def test_signed_out_menu_offers_log_in_and_register(client):
    html = client.get("/groups/").get_data(as_text=True)
    account = re.search(r'<nav aria-label="Your account">(.*?)</nav>', html, re.S).group(1)
    assert ">Log in<" in account and ">Register<" in account
    assert "Log out" not in account


def test_signed_in_menu_names_the_user_and_logs_out_with_a_form(client, reader):
    login(client, reader)
    html = client.get("/groups/").get_data(as_text=True)
    account = re.search(r'<nav aria-label="Your account">(.*?)</nav>', html, re.S).group(1)
    assert reader.display_name in account
    assert ">Settings<" in account
    logout = re.search(
        r'<form method="post" action="/auth/logout"[^>]*>(.*?)</form>', account, re.S
    )
    assert logout and 'name="csrf_token"' in logout.group(1) and ">Log out<" in logout.group(1)
    assert ">Log in<" not in account


def test_current_section_is_marked_in_the_menu(client):
    html = client.get("/groups/").get_data(as_text=True)
    assert re.search(r'<a href="/groups/" aria-current="page">Groups</a>', html)
    assert not re.search(r'<a href="/articles/" aria-current', html)


def test_flash_messages_are_announced(client, app):
    # Flask-Login flashes a message on its way to the login page: a real flash, end to end.
    response = client.get("/settings", follow_redirects=True)
    html = response.get_data(as_text=True)
    flashes = re.search(r'<div class="flashes" role="status">(.*?)</div>', html, re.S)
    assert flashes and "Please log in to continue." in flashes.group(1)


def test_stylesheet_is_served_as_css(client):
    response = client.get("/static/css/forum.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert "prefers-color-scheme: dark" in css
    assert ":focus-visible" in css
    assert ".skip-link:focus" in css
    response.close()


def test_script_is_served_as_javascript(client):
    response = client.get("/static/js/forum.js")
    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert "addEventListener" in response.get_data(as_text=True)
    response.close()


def test_favicon_is_linked_and_is_an_svg_image(client):
    html = client.get("/").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link
    response = client.get(link.group(1))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(response.get_data())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    response.close()
