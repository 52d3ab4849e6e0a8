"""The resilience_firms customs measures on the ``tiny`` synthetic economy, against the
independently written paper-000 trade margins (vagg.measures.markets): NSRC and the
intermediate import value must equal ``trade_margins``' origins and import value, DOMSRC must
be one minus ``imported_input_share``, and SURV/DH growth must agree with its export values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

from vagg.data.io import read_dataset
from vagg.data.synth.economy import generate
from vagg.measures.customs import attach_firms, keyed_lazy
from vagg.measures.export_resilience import dh_growth, survival
from vagg.measures.markets import imported_input_share, trade_margins
from vagg.measures.supply_chain import domestic_sourcing, source_diversity

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, pd.DataFrame, pl.DataFrame]:
    out = tmp_path_factory.getbasetemp() / "vagg_tiny_seed0"
    if not (out / "manifest.json").exists():
        generate("tiny", 0, out)
    data = read_dataset(out)
    links = pd.read_parquet(Path(out) / "truth_links.parquet")
    linked = attach_firms(keyed_lazy(data["customs"], "customs"), links).collect()
    return data, links, linked


def test_nsrc_and_domsrc_match_the_trade_margins(tiny) -> None:
    data, links, linked = tiny
    margins = trade_margins(data["customs"], links, data["products"])
    margins = margins.filter(pl.col("import_value") > 0)
    m3 = source_diversity(linked, data["products"], regimes=("all",)).table
    joined = margins.join(m3, on=["firm_id", "year"], how="full", coalesce=True)
    assert joined.height == margins.height == m3.height > 50
    np.testing.assert_array_equal(joined["NSRC"], joined["n_import_origins"])
    np.testing.assert_allclose(joined["imports_usd"], joined["import_value"], rtol=1e-12)

    full = trade_margins(data["customs"], links, data["products"])
    share = imported_input_share(full, data["firms"], data["national_series"])
    dom = domestic_sourcing(
        linked, data["products"], data["firms"], data["national_series"], regimes=("all",)
    ).table
    both = share.join(dom, on=["firm_id", "year"], how="inner").drop_nulls("DOMSRC")
    assert both.height > 50
    np.testing.assert_allclose(both["DOMSRC"], 1 - both["imported_input_share"], atol=1e-12)


def test_growth_and_survival_match_the_export_values(tiny) -> None:
    data, links, linked = tiny
    years = sorted(linked["year"].unique().to_list())
    pre, post = years[-2], years[-1]
    margins = trade_margins(data["customs"], links, data["products"]).to_pandas()
    x = margins.pivot_table(index="firm_id", columns="year", values="export_value", aggfunc="sum")
    x = x.fillna(0.0)
    x0, x1 = x[pre], x[post]
    keep = (x0 + x1) > 0
    expected = ((x1 - x0) / ((x1 + x0) / 2))[keep]
    # trade_margins counts exports under regimes 10, 14 and 15 only: the same rows here
    core = linked.filter(pl.col("regime").is_in(["10", "14", "15"]))
    got = dh_growth(core, pre, post).table.to_pandas().set_index("firm_id")["g"]
    assert len(got) > 50
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False, atol=1e-12
    )
    surv = survival(core, pre=pre, trough=post).table.to_pandas().set_index("firm_id")["SURV"]
    pd.testing.assert_series_equal(
        surv.sort_index(), (x1[x0 > 0] > 0).astype(int).sort_index(), check_names=False
    )
