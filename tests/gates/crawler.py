"""A crawler that visits the site over real HTTP as one person, as a browser would.

It follows every same-site link and GET form, then asks for every GET route the app registers
that no link led to, filling the route's variables with values seen in the links it followed
(a post id from a post's link, a slug from a group's link...). Each visit is kept as a
``Visit`` (status, headers, body) so every checker reads the same responses.

The crawler knows nothing of the app's pages: a new page is found through its links or its
route, so it is checked without anyone adding it here.
"""

from __future__ import annotations

import hashlib
import http.client
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

# Pages a person visits per route by following links: the pages of one route share a
# template, and the checkers' time grows with every page.
PAGES_PER_ROUTE = 3
# Routes are tried with at most this many combinations of known values before giving up.
TRIES_PER_ROUTE = 8
LOGIN_ENDPOINT = "accounts.login"
TEXT_INPUTS = {"text", "email", "password", "search", "url", "tel", "number", "date", ""}
# Attribute values that change what a checker of the rendered page sees.
SHAPE_VALUES = {"class", "role", "type", "rel", "colspan", "rowspan", "scope", "lang", "dir"}
_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')


@dataclass
class Visit:
    """One response, as the person received it."""

    persona: str
    method: str
    url: str  # path and query
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    endpoint: str | None
    how: str  # "link", "route", "error page" or "form error"

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def headers_named(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    @property
    def label(self) -> str:
        """How a failure names the page: who, what and how it was reached."""
        return f"{self.method} {self.url} as {self.persona} ({self.how}, {self.status})"

    @property
    def fingerprint(self) -> str:
        """Pages that differ only in their CSRF token are the same page to a checker."""
        return hashlib.sha256(_CSRF_VALUE.sub(r"\1\2", self.text).encode()).hexdigest()


@dataclass
class Form:
    method: str
    action: str  # absolute path
    fields: list[tuple[str, str, str]]  # (kind, name, value); kind is the tag or input type
    required: set[str] = field(default_factory=set)  # names of the fields marked required

    @property
    def needs_text(self) -> bool:
        """Sent with its text fields empty, the form must refuse: a form whose text is all
        optional might do what it is for (cancel a session, say), so it is not sent."""
        return any(
            (kind == "textarea" or kind in TEXT_INPUTS) and name in self.required
            for kind, name, _value in self.fields
        )


class _PageParser(HTMLParser):
    """The links and forms of a page, as a browser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in attributes:
            self.links.append(attributes["href"])
        elif tag == "form":
            self._form = Form(
                attributes.get("method", "get").lower(), attributes.get("action", ""), []
            )
            return
        if self._form is None:
            return
        if "required" in attributes and "name" in attributes:
            self._form.required.add(attributes["name"])
        if tag == "input" and "name" in attributes:
            kind = attributes.get("type", "").lower()
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self._form.fields.append((kind, attributes["name"], attributes.get("value", "")))
        elif tag == "textarea" and "name" in attributes:
            self._textarea = (attributes["name"], [])
        elif tag == "select" and "name" in attributes:
            self._select, self._select_value = attributes["name"], None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in attributes:
                self._select_value = attributes.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form.fields.append(("textarea", name, "".join(text)))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self._form.fields.append(("select", self._select, self._select_value or ""))
            self._select = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


class _ShapeParser(HTMLParser):
    """Which kinds of element sit in which: inside <main>, and around it (the header, nav
    and footer that every page of a person shares)."""

    def __init__(self):
        super().__init__()
        self.main: set[tuple[str, str]] = set()
        self.chrome: set[tuple[str, str]] = set()
        self._open: list[str] = ["root"]
        self._in_main = 0

    def handle_starttag(self, tag, attrs):
        kept = sorted(f"{name}={value}" if name in SHAPE_VALUES else name for name, value in attrs)
        signature = f"<{tag} {' '.join(kept)}>"
        if tag == "main":
            self._in_main += 1
        (self.main if self._in_main else self.chrome).add((self._open[-1], signature))
        if tag not in VOID_ELEMENTS:
            self._open.append(signature)

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        if tag == "main":
            self._in_main -= 1
        # Browsers close what is left open; so does this, up to the tag that ends.
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].startswith(f"<{tag} "):
                del self._open[depth:]
                break


def shapes(html: str) -> tuple[str, str]:
    """The shape of the page's main content and of what surrounds it: which elements (with
    the attribute values that change how they look or what they are: class, role, type...)
    sit in which, without text and without counting repeats. Two article pages with
    different comments have the same shape; a page with a form error has another."""
    parser = _ShapeParser()
    parser.feed(html)
    return tuple(
        hashlib.sha256(repr(sorted(part)).encode()).hexdigest()
        for part in (parser.main, parser.chrome)
    )


def links_and_forms(html: str, page_url: str) -> tuple[list[str], list[Form]]:
    """Same-site links (as paths with their query) and forms (with absolute actions)."""
    parser = _PageParser()
    parser.feed(html)
    links = [url for url in (same_site(href, page_url) for href in parser.links) if url]
    for form in parser.forms:
        form.action = same_site(form.action or page_url, page_url) or ""
    return links, [form for form in parser.forms if form.action]


def _shorten(lines: list[str], keep: int = 10) -> list[str]:
    if len(lines) <= keep:
        return lines
    return [*lines[:3], f"... {len(lines) - keep} more ...", *lines[3 - keep :]]


def same_site(href: str, page_url: str) -> str | None:
    """``href`` as a path and query if it stays on this site, else None."""
    absolute = urllib.parse.urljoin("http://site" + page_url, href.strip())
    parts = urllib.parse.urlsplit(absolute)
    if parts.scheme != "http" or parts.netloc != "site":
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects come back as responses, so the crawler sees each one's headers."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    """One person's browser: a cookie jar and real HTTP to the live server."""

    def __init__(self, base_url: str, persona: str):
        self.base_url = base_url.rstrip("/")
        self.persona = persona
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _KeepRedirects()
        )

    def request(self, method: str, url: str, data: dict | None = None) -> Visit:
        body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
        # A real browser says where a form came from; the app's login redirect reads it.
        headers = {"Accept": "text/html", "Referer": self.base_url + url}
        request = urllib.request.Request(self.base_url + url, body, headers, method=method)
        try:
            with self._opener.open(request, timeout=30) as response:
                return self._visit(method, url, response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return self._visit(method, url, error.code, error.headers, error.read())

    def _visit(
        self, method: str, url: str, status: int, headers: http.client.HTTPMessage, body: bytes
    ) -> Visit:
        # A redirect to this site by its full address is a redirect to one of its paths.
        kept = [
            (name, value.removeprefix(self.base_url) if name.lower() == "location" else value)
            for name, value in headers.items()
        ]
        return Visit(self.persona, method, url, status, kept, body, None, "")

    def follow(self, method: str, url: str, data: dict | None = None) -> list[Visit]:
        """The response and the redirects after it, as a browser follows them."""
        visits = [self.request(method, url, data)]
        while 300 <= visits[-1].status < 400 and len(visits) < 6:
            target = same_site(visits[-1].header("Location") or "", url)
            if target is None:
                break
            url = target
            visits.append(self.request("GET", url))
        return visits

    def csrf_token(self, url: str) -> str:
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.request("GET", url).text)
        assert match, f"no CSRF token on {url} for {self.persona}"
        return match.group(1)

    def log_in(self, email: str, password: str, remember: bool = False) -> Visit:
        data = {"csrf_token": self.csrf_token("/auth/login"), "email": email, "password": password}
        if remember:
            data["remember"] = "y"
        visit = self.request("POST", "/auth/login", data)
        assert visit.status == 302, f"{self.persona} could not log in: {visit.status}"
        return visit


@dataclass
class Crawl:
    """What one crawl of the site found, for all personas."""

    app: Flask
    visits: list[Visit] = field(default_factory=list)
    forms: dict[str, list[tuple[Visit, Form]]] = field(default_factory=lambda: defaultdict(list))
    values: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    tries: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def endpoint_of(self, method: str, url: str) -> tuple[str | None, dict]:
        path, _, query = url.partition("?")
        adapter = self.app.url_map.bind("site", query_args=query)
        try:
            endpoint, arguments = adapter.match(path, method=method)
        except HTTPException:
            return None, {}
        return endpoint, arguments

    def is_reached(self, visit: Visit) -> bool:
        """The page answered as itself: a 2xx, or a redirect that is not "log in first"."""
        if 200 <= visit.status < 300:
            return True
        if 300 <= visit.status < 400:
            target = same_site(visit.header("Location") or "", visit.url) or ""
            return self.endpoint_of("GET", target)[0] != LOGIN_ENDPOINT
        return False

    def record(self, visit: Visit, how: str) -> Visit:
        visit.how = how
        visit.endpoint, arguments = self.endpoint_of(visit.method, visit.url)
        self.visits.append(visit)
        if visit.endpoint and self.is_reached(visit):
            self._remember(visit.endpoint, arguments)
        return visit

    def _remember(self, source: str, arguments: dict) -> None:
        """Keep the values of a route's variables, to fill other routes' variables with."""
        for name, value in arguments.items():
            known = self.values[source][name]
            if str(value) not in known:
                known.append(str(value))

    # Following links ------------------------------------------------------------------

    def crawl_links(self, client: Client, start: Iterable[str] = ("/",)) -> None:
        queue = list(start)
        seen: set[str] = set(queue)
        per_route: dict[str, int] = defaultdict(int)
        while queue:
            url = queue.pop(0)
            endpoint, _ = self.endpoint_of("GET", url)
            if endpoint == "static":
                continue
            if per_route[endpoint or url] >= PAGES_PER_ROUTE:
                continue
            per_route[endpoint or url] += 1
            for visit in client.follow("GET", url):
                self.record(visit, "link")
                if not visit.is_html or visit.status >= 300:
                    continue
                links, forms = links_and_forms(visit.text, visit.url)
                for form in forms:
                    if form.method == "get":
                        links.append(form.action)
                    else:
                        self.forms[client.persona].append((visit, form))
                for link in links:
                    link = link.split("#")[0]
                    if link and link not in seen:
                        seen.add(link)
                        queue.append(link)

    def add_links_from_email(self, html: str, base_url: str) -> None:
        """The variables of the site's links in an email (tokens above all), for the routes
        only emails lead to."""
        html = html.replace(base_url.rstrip("/") + "/", "/")
        links, _forms = links_and_forms(html, "/")
        for link in links:
            endpoint, arguments = self.endpoint_of("GET", link)
            if endpoint:
                self._remember(endpoint, arguments)

    # Every GET route --------------------------------------------------------------------

    def add_row_ids(self, ids_by_table: dict[str, list[int]]) -> None:
        """Ids from the database for variables no link carries: ``user_id`` takes the ids of
        ``users``, ``message_id`` those of ``outbox_messages`` (a table named for the thing,
        in the plural, with or without a prefix). Links' values are still tried first."""
        for rule in self.get_rules():
            for name in rule.arguments:
                if not name.endswith("_id"):
                    continue
                thing = name.removesuffix("_id")
                for table, ids in ids_by_table.items():
                    singular = table.removesuffix("s")
                    if singular == thing or singular.endswith(f"_{thing}"):
                        for row_id in ids:
                            self._remember(f"table {table}", {name: row_id})

    def get_rules(self) -> list[Rule]:
        return [
            rule
            for rule in self.app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"
        ]

    def candidates(self, rule: Rule) -> list[dict[str, str]]:
        """Ways to fill the rule's variables: values its own links had first, then values of
        the same name from the same part of the site, then from anywhere."""
        blueprint = rule.endpoint.rpartition(".")[0]
        ordered = sorted(
            self.values,
            key=lambda endpoint: (endpoint != rule.endpoint, not endpoint.startswith(blueprint)),
        )
        options: dict[str, list[str]] = {}
        for name in rule.arguments:
            found: list[str] = []
            for endpoint in ordered:
                found.extend(v for v in self.values[endpoint].get(name, []) if v not in found)
            options[name] = found
        combos: list[dict[str, str]] = [{}]
        for name in sorted(rule.arguments):
            combos = [{**combo, name: value} for combo in combos for value in options[name]]
        return combos[:TRIES_PER_ROUTE]

    def visit_routes(self, client: Client, extra_values: dict[str, dict[str, str]]) -> None:
        """Ask for each GET route this person's links did not lead to."""
        reached = {v.endpoint for v in self.visits if v.persona == client.persona}
        for rule in self.get_rules():
            if rule.endpoint in reached:
                continue
            if rule.endpoint in extra_values:
                combos = [extra_values[rule.endpoint]]
            else:
                combos = self.candidates(rule)
            for combo in combos:
                _domain, url = rule.build(combo, append_unknown=False)
                visits = client.follow("GET", url)
                for visit in visits:
                    self.record(visit, "route")
                self.tries[rule.endpoint].append(f"{url} as {client.persona}: {visits[0].status}")
                # Found, or "log in first" (which any value would get); after a refusal
                # or a 404 the next values may belong to something this person may see.
                if (
                    self.is_reached(visits[0])
                    or len(visits) > 1
                    and visits[-1].endpoint == LOGIN_ENDPOINT
                ):
                    break

    def unreached_routes(self) -> dict[str, list[str]]:
        """Routes nobody saw as themselves, with what was tried for each."""
        reached = {v.endpoint for v in self.visits if self.is_reached(v)}
        return {
            f"{rule.endpoint} ({rule.rule})": _shorten(self.tries[rule.endpoint])
            or ["no values for its variables were found in any link or table"]
            for rule in self.get_rules()
            if rule.endpoint not in reached
        }

    # Forms in their error state ---------------------------------------------------------

    def submit_forms_empty(self, client: Client) -> None:
        """Send each kind of form once with its text fields empty, and keep the answer: the
        form shown again with its errors."""
        done: set[str | None] = set()
        for _page, form in self.forms[client.persona]:
            endpoint, _ = self.endpoint_of("POST", form.action)
            if endpoint in done or not form.needs_text:
                continue
            done.add(endpoint)
            data = {
                name: ("" if kind == "textarea" or kind in TEXT_INPUTS else value)
                for kind, name, value in form.fields
            }
            for visit in client.follow("POST", form.action, data):
                self.record(visit, "form error")

    def page_kinds(self) -> list[Visit]:
        """A page of each kind of main content, and of each kind of surroundings (each
        person's header and menus): the checkers that run in a browser take a few tenths of
        a second a page, and pages of one shape with other text fail in the same way."""
        kinds: dict[tuple[str, str], Visit] = {}
        for visit in self.html_pages():
            main, chrome = shapes(visit.text)
            kinds.setdefault(("main", main), visit)
            kinds.setdefault(("around", chrome), visit)
        return list({id(visit): visit for visit in kinds.values()}.values())

    def html_pages(self) -> list[Visit]:
        """The HTML pages, each distinct page once (the first person to see it names it)."""
        pages: dict[str, Visit] = {}
        for visit in self.visits:
            if visit.is_html and visit.body and visit.status not in (301, 302, 303, 307, 308):
                pages.setdefault(visit.fingerprint, visit)
        return list(pages.values())
