"""axe-core (WCAG 2.1 A and AA) on every crawled page in Chromium, light and dark: zero
violations. Each page is shown exactly as the crawl received it, with the site's own
stylesheet and script, so the check sees what the person saw."""

from __future__ import annotations

import pytest

from tests.gates.conftest import GatesSite
from tests.gates.crawler import Visit

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
    """{(scheme, page label): [violation text]} for every page with a violation."""
    # The site's CSP (rightly) refuses injected scripts; axe is the test's, not the page's.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    shown: list[Visit] = []

    def serve_crawled(route):
        page = shown[-1]
        route.fulfill(status=page.status, content_type=page.content_type, body=page.body)

    # Only the pages come from the crawl; stylesheets, scripts and images from the server.
    context.route(lambda url: "/static/" not in url, serve_crawled)
    context.add_init_script(path=str(axe_script))
    tab = context.new_page()
    found: dict[tuple[str, str], list[str]] = {}
    try:
        for page in pages:
            shown.append(page)
            tab.goto(site.url + page.url, wait_until="load")
            for scheme in SCHEMES:
                tab.emulate_media(color_scheme=scheme)
                for violation in tab.evaluate(RUN_AXE, WCAG_TAGS):
                    found.setdefault((scheme, page.label), []).extend(
                        f"{violation['rule']} ({violation['help']}): {node['target']} "
                        f"{node['html'][:200]}"
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
    assert failures == {}, "\n".join(
        f"{label}:\n  " + "\n  ".join(found) for label, found in failures.items()
    )


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
    assert any(line.startswith("label ") for line in found[("light", broken.label)])
