"""The overhead benchmark runs against the project's rules and decides its sample requests as expected."""

from __future__ import annotations

import pytest
from localcloud.rules import bench


def test_the_benchmark_reports_every_sample_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["-n", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    verdicts = {line[:36].strip(): line[36:].split()[0] for line in lines}
    assert verdicts == {
        "get booking": "True",
        "create booking (3 exists calls)": "True",
        "approve approval": "True",
        "update salon autonomy": "True",
        "collection-group list (2 salons)": "True",
        "denied: another salon": "False",
    }


def test_measure_returns_median_and_p95_in_microseconds() -> None:
    median, p95 = bench.measure(lambda: None, 20)
    assert 0 <= median <= p95
