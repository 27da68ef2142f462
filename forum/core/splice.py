"""Large stored parts of a page, joined into it as bytes once the rest is rendered.

A stored thread is hundreds of kilobytes of HTML. Put into the page as text, it makes the
whole page text that Python copies while rendering and then encodes to UTF-8 for the
response; as soon as one character anywhere in the page is outside Latin-1 (a "·" in the
navigation is enough) every character takes two bytes in memory, and encoding a 330 KB page
then takes 0.4 ms, about a tenth of a signed-in article page. A ``Part`` keeps such HTML as
UTF-8 bytes: in the template it stands as a short marker, and the rendered page, small without
it, is encoded and the part's bytes put in place of its marker.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

# This request's parts, by marker.
PARTS = "_page_parts"


class Part:
    """Markup held as UTF-8 bytes (already safe: the caller vouches for it, as for Markup)."""

    __slots__ = ("data", "marker")

    def __init__(self, data: bytes):
        self.data = data
        self.marker: str | None = None

    def __bool__(self) -> bool:
        return bool(self.data)

    def __html__(self) -> str:
        if self.marker is None:
            parts = g.setdefault(PARTS, {})
            # A comment nobody's text can produce: text is escaped and stored HTML sanitised,
            # and the nonce is new for each part.
            self.marker = f"<!--part-{secrets.token_hex(8)}-->"
            parts[self.marker.encode()] = self.data
        return self.marker


def _splice(response: Response) -> Response:
    parts = g.pop(PARTS, None)
    if not parts or response.direct_passthrough:
        return response
    body = response.get_data()
    for marker, data in parts.items():
        body = body.replace(marker, data)  # wherever the template put it
    response.set_data(body)
    return response


def init_app(app: Flask) -> None:
    # Called last in create_app: after-request hooks run in the reverse of their order, so
    # every other one (the page cache storing the page, compression) sees the whole page.
    app.after_request(_splice)
