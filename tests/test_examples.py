"""Every example script runs to the end and saves its figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                        "OMP_NUM_THREADS": "1"}
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("plot_*.py"))


@pytest.mark.examples
@pytest.mark.parametrize("script", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_example_runs_and_saves_its_figure(script, tmp_path):
    # The figure goes to tmp_path, so running the tests never rewrites docs/images.
    # Single-threaded BLAS unless the caller chose otherwise: the examples' matrices are
    # small, and on a loaded 2-core machine two OpenBLAS threads made them 3x slower.
    env = {**SINGLE_THREADED_BLAS, **os.environ, "MPLBACKEND": "Agg",
           "SKAE_FIGURE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    figures = sorted(path.name for path in tmp_path.glob("*.png"))
    assert figures == [script.stem.removeprefix("plot_") + ".png"]
    assert (tmp_path / figures[0]).stat().st_size > 0


def test_there_are_examples():
    assert len(EXAMPLES) >= 7
