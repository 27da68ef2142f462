"""Reading a feed over HTTP: a conditional GET with a timeout and a size cap.

The validators of the last good response (ETag, Last-Modified) go back to the server, which
answers 304 when nothing changed; a body larger than the cap is refused while it streams, so
a hostile or broken server cannot fill memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from forum.articles.feedformat import FeedFormatError

TIMEOUT_SECONDS = 20
USER_AGENT = "Forum feed importer"


@dataclass
class Fetched:
    status: int  # 200, or 304 when the server says nothing changed
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


def check_feed_url(url: str) -> str:
    """An absolute http(s) URL, or FeedFormatError saying what is wrong with it."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FeedFormatError("a feed address starts with http:// or https://")
    return url


def fetch(
    url: str,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Fetched:
    """GET ``url``; FeedFormatError (with a message for people) when it cannot be read."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    limit = max_bytes // (1024 * 1024)
    try:
        with requests.get(
            check_feed_url(url), headers=headers, timeout=timeout, stream=True
        ) as response:
            if response.status_code == 304:
                return Fetched(304, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FeedFormatError(f"the server answered {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FeedFormatError(f"larger than {limit} MB")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FeedFormatError(f"larger than {limit} MB")
                chunks.append(chunk)
            return Fetched(
                200,
                b"".join(chunks),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    except requests.Timeout:
        raise FeedFormatError(f"no answer within {timeout:g} seconds") from None
    except requests.RequestException as error:
        reason = type(error).__name__.replace("Error", " error").lower()
        raise FeedFormatError(f"could not be fetched ({reason})") from None
