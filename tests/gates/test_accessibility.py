"""axe-core (WCAG 2.1 A and AA) on every crawled page in Chromium, light and dark: zero
violations. Each page is shown exactly as the crawl received it, with the site's own
stylesheet and script, so the check sees what the person saw."""

from __future__ import annotations

import pytest

from tests.gates.conftest import GatesSite
from tests.gates.crawler import Visit
from tests.gates.report import report

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = ("light", "dark")
RUN_AXE = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    rule: v.id,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html})),
  }));
}"""


def axe_violations(browser, site: GatesSite, pages: list[Visit], axe_script) -> dict:
    """{(scheme, page label): [(rule, element)]} for every page with a violation."""
    # The site's CSP (rightly) refuses injected scripts; axe is the test's, not the page's.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    shown: list[Visit] = []

    def serve_crawled(route):
        request = route.request
        if not request.is_navigation_request():
            route.continue_()
        elif request.frame.parent_frame is None:
            page = shown[-1]
            route.fulfill(status=page.status, content_type=page.content_type, body=page.body)
        else:
            # A frame's document is a page of its own, checked when the crawl visited it.
            route.abort()

    # Only the pages come from the crawl; stylesheets, scripts and images from the server.
    context.route(lambda url: "/static/" not in url, serve_crawled)
    context.add_init_script(path=str(axe_script))
    tab = context.new_page()
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    try:
        for page in pages:
            shown.append(page)
            tab.goto(site.url + page.url, wait_until="load")
            for scheme in SCHEMES:
                tab.emulate_media(color_scheme=scheme)
                for violation in tab.evaluate(RUN_AXE, WCAG_TAGS):
                    found.setdefault((scheme, page.label), []).extend(
                        (
                            f"{violation['rule']} ({violation['help']})",
                            f"{node['target']} {node['html'][:160]}",
                        )
                        for node in violation["nodes"]
                    )
    finally:
        context.close()
    return found


@pytest.fixture(scope="session")
def axe_results(browser, gates_site, crawl, axe_script):
    return axe_violations(browser, gates_site, crawl.page_kinds(), axe_script)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_axe_violations(axe_results, scheme, html_pages):
    assert html_pages, "the crawl found no pages"
    failures = {label: found for (s, label), found in axe_results.items() if s == scheme}
    if failures:
        pytest.fail(f"axe-core, {scheme} colour scheme: {report(failures)}", pytrace=False)


def test_the_checker_reports_violations(browser, gates_site, axe_script):
    """The gate is only as good as its checker: an unlabelled field must be reported."""
    body = (
        b'<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>'
        b'<h1>Broken</h1><form><input type="text" name="q"></form></main></body></html>'
    )
    broken = Visit(
        "nobody", "GET", "/gates/broken", 200, [("Content-Type", "text/html")], body, None, "test"
    )
    found = axe_violations(browser, gates_site, [broken], axe_script)
    assert set(found) == {("light", broken.label), ("dark", broken.label)}
    assert any(rule.startswith("label ") for rule, _where in found[("light", broken.label)])


THREAD_SEMANTICS = """() => Array.from(document.querySelectorAll("#discussion article"), (post) => {
  const item = post.parentElement;
  const list = item && item.parentElement;
  let depth = 0;
  for (let at = list; at; at = at.parentElement) if (at.tagName === "OL") depth += 1;
  return {
    name: post.getAttribute("aria-label") || (post.getAttribute("aria-labelledby") &&
      document.getElementById(post.getAttribute("aria-labelledby"))?.textContent) || "",
    inListItem: Boolean(item && item.tagName === "LI" && list && list.tagName === "OL"),
    depth: depth,
  };
})"""


def test_a_threaded_discussion_reads_well_in_a_screen_reader(browser, gates_site, crawl):
    """Each post is an article named by its author, in a list item; a reply's list sits in
    its parent's item, so a screen reader announces the nesting level."""
    article = next(
        v for v in crawl.visits if v.endpoint == "articles.show_article" and v.status == 200
    )
    context = browser.new_context(base_url=gates_site.url)
    try:
        page = context.new_page()
        page.goto(article.url)
        posts = page.evaluate(THREAD_SEMANTICS)
    finally:
        context.close()
    assert posts, f"no posts on {article.url}"
    for post in posts:
        assert post["name"].strip(), f"a post without an accessible name on {article.url}"
        assert post["inListItem"], f"{post['name']} is not an item of a list on {article.url}"
    assert max(post["depth"] for post in posts) >= 2, "no nested replies are exposed as lists"
