"""Lighthouse on the pages people read most: the home page, an article with 200 posts, a group
and one of its sessions, on a phone and on a desktop. Performance, accessibility, best
practices and SEO each score at least 95; every run's scores go to
bench/results/lighthouse-<date>.json beside the benchmark's results.

Lighthouse's default simulated throttling computes the timings from one unthrottled load, so a
busy machine moves the scores less than real throttling would; the pages run one at a time, and
a performance score under the bar is measured twice more, the median counting.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from forum.articles.models import Article
from forum.demo import services as demo
from forum.extensions import db
from forum.groups.models import Group, GroupSession
from tests.conftest import require_service
from tests.gates.conftest import NODE_MODULES, ROOT, SETUP_HINT, add_long_discussion, demo_server

LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"
CHROMIUM = Path("/usr/bin/chromium")
RESULTS = ROOT / "bench" / "results"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
FORM_FACTORS = ("mobile", "desktop")
BAR = 95
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--no-first-run --disable-quic"
)
# Timings Lighthouse's report shows beside the scores, kept in the results.
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
)


@dataclass
class Run:
    page: str
    path: str
    form_factor: str
    scores: dict[str, int]  # category id -> 0..100
    report: dict
    # The performance score of each run: three when the first was under the bar.
    performance_runs: list[int] = field(default_factory=list)

    def failing_audits(self, category: str) -> list[str]:
        """The category's audits that lost points, worst first, with what Lighthouse says."""
        audits = self.report["audits"]
        found = []
        for ref in self.report["categories"][category]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] == 0 or audit["score"] is None or audit["score"] >= 1:
                continue
            shown = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            found.append((ref["weight"] * (1 - audit["score"]), audit, shown))
        found.sort(key=lambda item: item[0], reverse=True)
        return [
            f"{audit['id']}: {audit['title']}{shown}, score {audit['score']:.2f}"
            for _loss, audit, shown in found
        ]


@pytest.fixture(scope="session")
def lighthouse() -> Path:
    require_service(LIGHTHOUSE.exists(), f"{LIGHTHOUSE.relative_to(ROOT)} is missing: {SETUP_HINT}")
    require_service(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")
    require_service(shutil.which("node") is not None, "Node is not installed")
    return LIGHTHOUSE


@pytest.fixture(scope="session")
def lighthouse_site(tmp_path_factory):
    with demo_server(
        tmp_path_factory.mktemp("lighthouse") / "site.db", add_long_discussion
    ) as site:
        yield site


def measured_pages(app) -> dict[str, str]:
    """{name: path} of the pages Lighthouse measures, with the demo's ids."""
    with app.app_context(), app.test_request_context():
        article = db.session.scalars(select(Article).order_by(Article.published_at.desc())).first()
        group = db.session.scalars(select(Group).where(Group.name == demo.GROUP_NAME)).one()
        session = db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id)
            .order_by(GroupSession.starts_at)
        ).first()
        pages = {
            "home": url_for("articles.home"),
            "article with 200 posts": url_for("articles.show_article", slug=article.slug),
            "group": url_for("groups.show_group", slug=group.slug),
            "session": url_for("groups.show_session", slug=group.slug, session_id=session.id),
        }
        db.session.remove()
    return pages


def run_lighthouse(executable: Path, url: str, form_factor: str, output: Path) -> dict:
    command = [
        str(executable),
        url,
        "--output=json",
        f"--output-path={output}",
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
    )
    assert result.returncode == 0 and output.exists(), (
        f"Lighthouse failed on {url} ({form_factor}), exit {result.returncode}:\n"
        f"{result.stderr[-3000:]}"
    )
    report = json.loads(output.read_text())
    if report.get("runtimeError"):
        pytest.fail(f"Lighthouse could not load {url}: {report['runtimeError']}", pytrace=False)
    return report


def write_results(runs: list[Run], version: str) -> Path:
    now = datetime.now(UTC)
    path = RESULTS / f"lighthouse-{now.date().isoformat()}.json"
    results = {
        "date": now.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {"lighthouse": version, "throttling": "simulated (default)", "bar": BAR},
        "pages": [
            {
                "name": run.page,
                "path": run.path,
                "form_factor": run.form_factor,
                "scores": run.scores,
                "performance_runs": run.performance_runs,
                "metrics": {
                    metric: round(run.report["audits"][metric]["numericValue"], 1)
                    for metric in METRICS
                },
            }
            for run in runs
        ],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1) + "\n")
    return path


def scores_of(report: dict) -> dict[str, int]:
    return {
        category: round(report["categories"][category]["score"] * 100) for category in CATEGORIES
    }


@pytest.fixture(scope="session")
def lighthouse_runs(lighthouse, lighthouse_site, tmp_path_factory) -> list[Run]:
    folder = tmp_path_factory.mktemp("lighthouse-reports")
    runs = []
    for page, path in measured_pages(lighthouse_site.app).items():
        for form_factor in FORM_FACTORS:
            url = lighthouse_site.url + path
            reports = [run_lighthouse(lighthouse, url, form_factor, folder / f"{len(runs)}.json")]
            # On a busy machine the browser's own tasks (committing the navigation, starting
            # the page's script context) stretch, and the simulated slow phone multiplies
            # them by four. A performance score under the bar is measured twice more and the
            # median run counts, as Lighthouse advises for scores that vary between runs.
            if scores_of(reports[0])["performance"] < BAR:
                reports += [
                    run_lighthouse(lighthouse, url, form_factor, folder / f"{len(runs)}-{n}.json")
                    for n in (2, 3)
                ]
                reports.sort(key=lambda report: scores_of(report)["performance"])
            median = reports[len(reports) // 2]
            performance = [scores_of(report)["performance"] for report in reports]
            runs.append(Run(page, path, form_factor, scores_of(median), median, performance))
    write_results(runs, runs[0].report["lighthouseVersion"])
    return runs


def below_the_bar(runs: list[Run]) -> list[str]:
    """Each page, form factor and category under the bar, with the audits that lost points."""
    failures = []
    for run in runs:
        for category, score in run.scores.items():
            if score < BAR:
                audits = "\n    ".join(run.failing_audits(category)) or "(no audit named)"
                repeated = len(run.performance_runs) > 1 and category == "performance"
                median = f" (median of {run.performance_runs})" if repeated else ""
                failures.append(
                    f"{run.page} ({run.path}), {run.form_factor}: {category} {score}{median} "
                    f"< {BAR}; audits losing points:\n    {audits}"
                )
    return failures


def test_each_page_scores_at_least_95_in_every_category(lighthouse_runs):
    failures = below_the_bar(lighthouse_runs)
    assert not failures, "\n".join(failures)


def test_a_low_score_names_the_page_and_the_audits():
    audit = {"score": 0.5, "title": "Image elements have [alt] attributes", "displayValue": ""}
    report = {
        "categories": {"accessibility": {"auditRefs": [{"id": "image-alt", "weight": 10}]}},
        "audits": {"image-alt": {"id": "image-alt", **audit}},
    }
    run = Run("group", "/groups/g", "mobile", {"accessibility": 80}, report)
    [failure] = below_the_bar([run])
    assert failure.startswith("group (/groups/g), mobile: accessibility 80 < 95")
    assert "image-alt: Image elements have [alt] attributes, score 0.50" in failure
    assert below_the_bar([Run("group", "/groups/g", "mobile", {"seo": 95}, report)]) == []
    repeated = Run("group", "/groups/g", "mobile", {"performance": 88}, report, [80, 88, 97])
    report["categories"]["performance"] = {"auditRefs": []}
    [failure] = below_the_bar([repeated])
    assert "performance 88 (median of [80, 88, 97]) < 95" in failure
