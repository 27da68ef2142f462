"""Reading HTML in tests as a browser would: elements and their attributes."""

from __future__ import annotations

from html.parser import HTMLParser


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every start tag in ``html`` with its attributes (text that merely looks like a tag
    is not an element)."""
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collector().feed(html)
    return found


def unsafe_markup(html: str) -> list[str]:
    """What in ``html`` could run script: inline or foreign scripts, event handlers,
    frames and script-bearing links."""
    problems = []
    for tag, attributes in elements(html):
        if tag == "script" and not attributes.get("src", "").startswith("/static/"):
            problems.append("<script>")
        if tag in ("iframe", "object", "embed"):
            problems.append(f"<{tag}>")
        problems.extend(f"{tag} {name}" for name in attributes if name.startswith("on"))
        for name in ("href", "src", "action"):
            value = attributes.get(name, "").strip().lower()
            if value.startswith(("javascript:", "data:", "vbscript:")):
                problems.append(f"{tag} {name}={value[:20]}")
    return problems
