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
    assert data["throughput"]["100"]["raw produce + flush"]["median"] > 0
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_side_that_delivers_fewer_messages_than_asked_stops_the_benchmark():
    import pytest

    from benchmarks.helpers_vs_raw import check_count

    check_count("raw", 10, 10)
    with pytest.raises(RuntimeError, match="9 of 10 messages"):
        check_count("raw", 9, 10)
