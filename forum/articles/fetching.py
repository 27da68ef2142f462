"""Reading a feed over HTTP: a conditional GET with a timeout and a size cap.

The validators of the last good response (ETag, Last-Modified) go back to the server, which
answers 304 when nothing changed; a body larger than the cap is refused while it streams, so
a hostile or broken server cannot fill memory. Only addresses on the internet are fetched,
redirects included (forum.core.outbound; ``OUTBOUND_ALLOW_INTERNAL`` lifts that).
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from dataclasses import dataclass

from forum.articles.feedformat import FeedFormatError
from forum.core import outbound

TIMEOUT_SECONDS = 20
USER_AGENT = "Forum feed importer"
# A blog that moved answers with one redirect, or two (http to https, then the new path).
MAX_REDIRECTS = 3


@dataclass
class Fetched:
    status: int  # 200, or 304 when the server says nothing changed
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


def check_feed_url(url: str) -> str:
    """An absolute http(s) URL, or FeedFormatError saying what is wrong with it."""
    url = url.strip()
    if outbound.host_and_port(url) is None:
        raise FeedFormatError("a feed address starts with http:// or https://")
    return url


def fetch(
    url: str,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Fetched:
    """GET ``url``; FeedFormatError (with a message for people) when it cannot be read.
    Internal addresses are refused, the first and every redirect's (forum.core.outbound)."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(check_feed_url(url), headers=headers)
    try:
        # An admin's http(s) URL; the opener checks each address it connects to.
        with outbound.opener(MAX_REDIRECTS).open(request, timeout=timeout) as response:  # nosec B310
            body = _read_capped(response, max_bytes)
            return Fetched(
                200,
                body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
    except FeedFormatError:
        raise  # the size cap's refusal (a ValueError, like a malformed address's below)
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 304:
            return Fetched(304, etag=etag, last_modified=last_modified)
        if error.code in (301, 302, 303, 307, 308):  # still redirecting after the last hop
            raise FeedFormatError(f"more than {MAX_REDIRECTS} redirects") from None
        raise FeedFormatError(f"the server answered {error.code}") from None
    except urllib.error.URLError as error:
        raise _unreachable(error.reason, timeout) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise _unreachable(error, timeout) from None


def _read_capped(response, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to pass ``max_bytes`` (declared or read)."""
    limit = f"larger than {max_bytes // (1024 * 1024)} MB"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedFormatError(limit)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise FeedFormatError(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _unreachable(reason: object, timeout: float) -> FeedFormatError:
    if isinstance(reason, (outbound.InternalTarget, outbound.RedirectRefused)):
        return FeedFormatError(f"refused: {reason}")
    if isinstance(reason, TimeoutError):
        return FeedFormatError(f"no answer within {timeout:g} seconds")
    if isinstance(reason, OSError) and reason.strerror:
        return FeedFormatError(f"could not be fetched ({reason.strerror.lower()})")
    detail = reason if isinstance(reason, str) else type(reason).__name__
    return FeedFormatError(f"could not be fetched ({detail})")
