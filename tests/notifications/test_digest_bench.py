"""The digest benchmark at a small scale: it runs, and every chunk of people costs the same
number of reads (the property `make bench` measures at 10,000 people)."""

from __future__ import annotations

from bench import digests as bench
from forum.extensions import db
from forum.notifications import digests


def test_every_chunk_of_people_costs_the_same_reads(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    # 50 people in chunks of 15: three full chunks and a short one.
    monkeypatch.setattr(digests, "CHUNK", 15)
    app = bench._app(f"sqlite:///{tmp_path / 'digests.db'}", tmp_path)
    counts = bench.generate(app, scale=0.005)
    assert counts["people"] == 50 and counts["posts"] == 250

    report = bench.measure(app)
    assert report["digests_due"] == report["digests_sent"] == 50
    # The same reads for each chunk, the one with the moderators (whose queue is counted)
    # reading once more.
    fewest, *_, most = report["selects_per_chunk"]
    assert most - fewest <= 1, report["selects_per_chunk"]
    assert report["chunk"] == 15 and report["peak_memory_mb"] > 0
    assert "50 of 50 people, 250 posts" in bench.row({**report, "data": counts})
    with app.app_context():
        db.engine.dispose()
