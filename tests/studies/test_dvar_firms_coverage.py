"""Coverage of the truth check of ``dvar_firms`` over 20 seeds of the ``tiny`` economy (slow;
``VAGG_COVERAGE_SCALE=small`` runs the ``small`` one).

For each seed the study runs end to end and ``truth_check.csv`` says whether each 95%
interval covers the generator's estimand. A correct chain of measures and standard errors
covers in about 95% of the seeds; the test asserts at least 85% per check, over the seeds
in which the equation could be estimated (on ``tiny`` some equations have too few switchers
or treated firms and are left blank with a note), and prints the shares (recorded in
docs/studies/dvar_firms.md).

Productivity is the exception, and the test says so: a gross-output ACF production function
with a flexible input under markups is not identified (Gandhi, Navarro & Rivers 2020; see
``test_dvar_firms_technology``), so ω̂ follows the log markup rather than the planted ω and
the rows of Table 6 (7) and (8) tfp must *not* cover. Should they start covering, the
production function has changed and this list must be revisited.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

from vagg.data.dataset import synthetic_dataset
from vagg.studies import registry
from vagg.studies.data import StudyData
from vagg.studies.runner import run_study

SEEDS = range(20)
#: the economy's scale (``VAGG_COVERAGE_SCALE=small`` for the figures of the docs' ``small``
#: table; about 5 minutes per seed on a shared 2-core machine)
SCALE = os.environ.get("VAGG_COVERAGE_SCALE", "tiny")
#: rows whose estimand the measure cannot recover (unidentified production function)
UNIDENTIFIED = (
    "dvar_firms.table6.tfp_on_vagg_h",
    "dvar_firms.table6.tfp_on_vagg_f",
    "dvar_firms.table6.tfp_on_vagg_b",
    "dvar_firms.table6.markup_on_tfp",
)


def coverage(scale: str, seeds: range, root: Path) -> pd.DataFrame:
    """Per check: seeds run, seeds with an estimate, share covered among those."""
    rows = []
    for seed in seeds:
        dataset, _ = synthetic_dataset(scale, seed, root / "data")
        data = StudyData(dataset, seed=seed, scale=scale, cache_dir=None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = run_study(registry.get("dvar_firms"), data, root / f"out{seed}", engine=None)
        frame = pd.read_csv(report.out_dir / "truth_check.csv")
        rows.append(frame.assign(seed=seed, failed_entries=len(report.failed)))
    table = pd.concat(rows, ignore_index=True)
    table["covered"] = table["covered"].map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0})
    grouped = table.groupby("parameter", sort=False)["covered"]
    return pd.DataFrame(
        {"seeds": grouped.size(), "estimated": grouped.count(), "share": grouped.mean()}
    )


@pytest.mark.slow
def test_each_check_covers_in_most_seeds(tmp_path: Path) -> None:
    shares = coverage(SCALE, SEEDS, tmp_path)
    with pd.option_context("display.max_rows", 500):
        print(shares.to_string())
    known = shares.loc[list(UNIDENTIFIED)]
    assert (known["share"] < 0.5).all(), known
    rest = shares.drop(index=list(UNIDENTIFIED))
    # a check that covers in fewer than 85% of the seeds where it was estimated, or that
    # could be estimated in fewer than half of the seeds, is reported together
    low = rest[(rest["share"] < 0.85) | (rest["estimated"] < len(SEEDS) // 2)]
    assert low.empty, low
