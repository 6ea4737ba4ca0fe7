"""Every index type x every entry point x bad arguments, in worker processes that may die.

A crash is counted against its case (and the run continues); the test then requires zero
crashes, zero accepted-but-wrong results and zero unexpected exception classes. The counts
are printed (pytest -s) for the issue's report.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import bad_input_matrix as m  # noqa: E402


def test_bad_input_matrix_never_crashes_or_lies():
    all_cases, results, crashes = m.run_all()
    counts, bad = m.summary(all_cases, results)
    print("\nbad-input matrix:", json.dumps({"cases": len(all_cases), **counts}))
    assert len(all_cases) > 1500
    assert not crashes, crashes[:10]
    assert not bad, "\n".join(f"{c[:3]} -> {r}" for c, r in bad[:40])
