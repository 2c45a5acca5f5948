"""``make bench`` at a tiny size, so it cannot rot: the report is produced and sane.

Nothing here asserts speed (the machine is shared); only that every figure
the report needs was measured and that the counts it states hold.
"""

from __future__ import annotations

import shutil

from tests.benchmarks import web_bench
from tests.conftest import unavailable


def test_the_bench_runs_and_reports(tmp_path):
    if shutil.which("wrk") is None:
        unavailable("wrk is not installed (Debian package wrk)")
    report = tmp_path / "performance.md"
    summary = web_bench.main(
        ["--customers", "200", "--seconds", "1", "--backends", "sqlite", "--report", str(report)]
    )
    text = report.read_text(encoding="utf-8")
    assert "## SQLite, sessions in the database" in text
    assert "| GET Egna tjänster | 10 |" in text
    (backend,) = summary["backends"]
    for label in web_bench.PAGES:
        run = backend["pages"][label]["10"]
        assert run["rate"] > 0 and run["bare_rate"] > 0, label
        assert run["non_2xx"] == 0, label
        assert 0 < run["p50_ms"] <= run["p99_ms"], label
    statements = backend["statements"]
    assert statements["GET /login"] == {"sql": 0, "sql_writes": 0, "redis_writes": 0}
    for label in ("GET Egna tjänster", "GET Egna detaljer"):
        assert 0 < statements[label]["sql"] <= 6, statements[label]
        assert statements[label]["sql_writes"] == 0
    assert all(mib > 0 for mib in backend["worker_peak_mib"])
    assert len(backend["worker_peak_mib"]) == web_bench.WORKERS
    assert backend["verify_ms"] > 0 and backend["login_bound"] > 0
