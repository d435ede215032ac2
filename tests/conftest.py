"""A tiny sweep shared by the tests: a few depths and strides, no fresh processes."""

import pytest

from analysis.sweep import Grid, run_sweep

TINY = Grid(
    depths=(4, 8, 16, 32, 64),
    repeats=1,
    paired_repeats=1,
    stride_depth=16,
    strides=(1, 2, 4, 8, 16),
    stride_repeats=1,
    large_depths=(),
    timeline_depth=8,
)


@pytest.fixture(scope="session")
def swept(tmp_path_factory):
    """An output folder holding sweep/sweep.csv and sweep/timelines.json of TINY."""
    out = tmp_path_factory.mktemp("results")
    run_sweep(out / "sweep", TINY, progress=False)
    return out
