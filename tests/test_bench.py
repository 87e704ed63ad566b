"""The benchmark runs end to end as a quick smoke (tiny sizes; figures printed, never asserted)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from helpers.cli import main


def test_quick_benchmark_writes_its_table_json_and_plot(kafka, tmp_path):
    result = CliRunner().invoke(main, ["bench", "--quick", "--repeat", "1", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for heading in ("Throughput, 100-byte values", "Throughput, 1024-byte values", "Produce-to-handler latency",
                    "The codealong's own times", "Goals (shown, not asserted)"):
        assert heading in result.output
    data = json.loads((tmp_path / "bench.json").read_text())
    assert set(data["throughput"]) == {"100", "1024"}
    assert data["throughput"]["100"]["raw fire-and-forget (produce loop, one flush)"]["median"] > 0
    assert "not measurements" in result.output  # quick figures say what they are
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_side_that_delivers_fewer_messages_than_asked_stops_the_benchmark():
    import pytest

    from benchmarks.helpers_vs_raw import check_count

    check_count("raw", 10, 10)
    with pytest.raises(RuntimeError, match="9 of 10 messages"):
        check_count("raw", 9, 10)


def test_the_throughput_benchmark_alone_prints_every_row(kafka):
    from benchmarks import throughput

    result = CliRunner().invoke(main, ["bench", "--throughput", "--quick", "--messages", "300"])
    assert result.exit_code == 0, result.output
    assert "not measurements" in result.output
    for row in (*throughput.PRODUCER_ROWS, throughput.RAW_CONSUMER, throughput.WORKER):
        assert row in result.output
    assert "Goals (shown, not asserted)" in result.output


def test_the_cli_imports_no_benchmark_until_asked():
    import subprocess
    import sys

    probe = "import sys, helpers.cli; print(sorted(m for m in sys.modules if m.startswith('benchmarks')))"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
