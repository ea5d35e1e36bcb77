"""The report machinery itself: rows come from test outcomes, partial runs merge, reruns don't churn, FAIL is loud.
Real pytest sessions in a subprocess, writing a report in tmp (never the repository's RELIABILITY.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import reliability
from reliability import Row

TESTS = Path(__file__).resolve().parent

DEMO = '''
import os
import pytest
import reliability

def test_alpha():
    reliability.record("X: alpha", injected="by hand", cases=2)

def test_beta():
    assert os.environ.get("BETA_FAILS") != "1"          # fails before it records
    reliability.record("X: beta | piped", injected="a | b", cases=1)

@pytest.mark.parametrize("n", [1, 2])
def test_gamma(n):
    reliability.record("X: gamma", injected="param", cases=n)

def test_unrelated():
    pass
'''


def pytest_run(tmp_path, *args, env=None):
    report = tmp_path / "REPORT.md"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "reliability",
         "--reliability-report", str(report), "--rootdir", str(tmp_path), *args],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        # only the plugin under test: autoloading hypothesis, pytest-asyncio, ... cost 1.2 s a session, 11 sessions
        env=dict(os.environ, PYTHONPATH=str(TESTS), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **(env or {})))
    return result, report


def table(report: Path) -> dict[str, tuple[int, str]]:
    return {r.fault: (r.cases, r.result) for r in reliability.parse(report.read_text(encoding="utf-8"))[1]}


@pytest.mark.slow                # runs pytest in subprocesses
def test_rows_follow_outcomes_merge_across_partial_runs_and_reruns_do_not_churn(tmp_path):
    demo = tmp_path / "test_demo.py"
    demo.write_text(DEMO)

    result, report = pytest_run(tmp_path, "test_demo.py")
    assert result.returncode == 0, result.stdout
    assert table(report) == {"X: alpha": (2, "pass"), "X: beta | piped": (1, "pass"), "X: gamma": (3, "pass")}
    assert "reliability report" in result.stdout and "all pass" in result.stdout

    # hand-written text around the table is kept; the same results rewrite nothing
    header, rows, _ = reliability.parse(report.read_text(encoding="utf-8"))
    edited = reliability.render("# Our reliability\n\nHand-written words.\n", rows, "A footer.")
    report.write_text(edited, encoding="utf-8")
    mtime = report.stat().st_mtime_ns
    result, _ = pytest_run(tmp_path, "test_demo.py")
    assert result.returncode == 0 and report.read_text(encoding="utf-8") == edited
    assert report.stat().st_mtime_ns == mtime and "(unchanged)" in result.stdout

    # a partial run updates its own rows and keeps the others
    result, _ = pytest_run(tmp_path, "test_demo.py", "-k", "alpha")
    assert result.returncode == 0 and report.read_text(encoding="utf-8") == edited

    # a run of some of a function's parametrized cases (make check's -m "not slow") keeps the full run's count
    result, _ = pytest_run(tmp_path, "test_demo.py", "-k", "gamma and 1")
    assert result.returncode == 0 and report.read_text(encoding="utf-8") == edited

    # a test failing before its record() call cannot leave a stale pass, and the session fails loudly
    result, _ = pytest_run(tmp_path, "test_demo.py", env={"BETA_FAILS": "1"})
    assert result.returncode == 1
    assert table(report)["X: beta | piped"] == (1, "FAIL") and table(report)["X: alpha"] == (2, "pass")
    assert "FAIL  X: beta | piped  (test_demo.py::test_beta)" in result.stdout
    assert report.read_text(encoding="utf-8").startswith("# Our reliability\n\nHand-written words.\n")

    # a FAIL row keeps failing sessions until its test passes again
    result, _ = pytest_run(tmp_path, "test_demo.py", "-k", "alpha")
    assert result.returncode == 1 and table(report)["X: beta | piped"][1] == "FAIL"
    result, _ = pytest_run(tmp_path, "test_demo.py", "-k", "beta")
    assert result.returncode == 0 and table(report)["X: beta | piped"] == (1, "pass")

    # a deleted test's rows go, and so does a renamed class once its test runs
    demo.write_text(DEMO.replace("def test_alpha", "def test_renamed").replace("X: gamma", "X: delta"))
    pytest_run(tmp_path, "test_demo.py", "-k", "beta")
    assert set(table(report)) == {"X: beta | piped", "X: gamma"}
    pytest_run(tmp_path, "test_demo.py", "-k", "gamma")
    assert set(table(report)) == {"X: beta | piped", "X: delta"}

    # a session that runs nothing the report covers leaves it alone
    before = report.read_text(encoding="utf-8")
    result, _ = pytest_run(tmp_path, "test_demo.py", "-k", "unrelated")
    assert result.returncode == 0 and report.read_text(encoding="utf-8") == before


def test_a_failure_in_one_parametrized_case_marks_only_what_it_cannot_disprove():
    records = [reliability._Record("A", "x", 1, "t.py::f[1]"), reliability._Record("B", "y", 1, "t.py::f[2]")]
    outcomes = {"t.py::f[1]": "passed", "t.py::f[2]": "failed", "t.py::g": "passed"}
    unattributed = reliability.unattributed_failures(records, outcomes)
    rows = reliability.session_rows(records, outcomes, unattributed)
    assert unattributed == set()                                   # the failing item recorded its row
    assert rows["A", "t.py::f"].result == "pass" and rows["B", "t.py::f"].result == "FAIL"
    outcomes["t.py::f[3]"] = "failed"                                # a case that failed before recording
    unattributed = reliability.unattributed_failures(records, outcomes)
    assert reliability.session_rows(records, outcomes, unattributed)["A", "t.py::f"].result == "FAIL"


def test_cells_with_pipes_and_backticks_round_trip():
    rows = [Row("Input: a | b", "sent `x|y`", 3, "pass", "tests/test_x.py::test_y")]
    header, parsed, footer = reliability.parse(reliability.render("# H\n", rows, "F"))
    assert parsed == rows and header == "# H\n" and footer.strip() == "F"
