"""Bad input to vagg.spatial: one test per error, each checking that the message names the
argument, the units or the columns at fault."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import vagg.weights as vw
from vagg.estimate.errors import EstimationError
from vagg.estimate.spatial import spatial
from vagg.weights import WeightsError

PANEL = ("province", "year")


@pytest.fixture(scope="module")
def provinces() -> tuple[pd.DataFrame, vw.SpatialWeights]:
    rng = np.random.default_rng(0)
    w = vw.queen_provinces()
    frame = pd.DataFrame(
        {
            "province": np.repeat(list(w.ids), 4),
            "year": np.tile([2010, 2011, 2012, 2013], 30),
            "y": rng.normal(size=120),
            "x": rng.normal(size=120),
            "z": rng.normal(size=120),
        }
    )
    return frame, w


def test_island_is_refused_naming_it(provinces) -> None:
    frame, _ = provinces
    w = vw.queen_provinces(hainan_link=False, standardize=None)
    with pytest.raises(EstimationError, match=r"islands\): \['46'\]"):
        spatial("y ~ x", frame, w, panel=PANEL, effects="individual")


def test_non_square_matrix_is_refused() -> None:
    with pytest.raises(WeightsError, match=r"must be square; got \(3, 4\)"):
        vw.from_sparse(sp.csr_array(np.ones((3, 4))), ["a", "b", "c"])


def test_matrix_and_ids_of_different_sizes_are_refused() -> None:
    with pytest.raises(WeightsError, match="3×3 matrix but 2 ids"):
        vw.from_sparse(np.zeros((3, 3)), ["a", "b"])


def test_w_not_aligned_with_the_data_names_the_ids(provinces) -> None:
    frame, w = provinces
    short = frame[frame["province"] != "65"]
    with pytest.raises(EstimationError, match=r"1 id\(s\) of W not in data: \['65'\]"):
        spatial("y ~ x", short, w, panel=PANEL, effects="individual")
    renamed = frame.assign(province=frame["province"].replace({"11": "Beijing"}))
    with pytest.raises(EstimationError, match=r"of data not in W: \['Beijing'\]"):
        spatial("y ~ x", renamed, w, panel=PANEL, effects="individual")


def test_ids_of_another_type_get_a_hint(provinces) -> None:
    frame, w = provinces
    numeric = frame.assign(province=frame["province"].astype(int))
    with pytest.raises(EstimationError, match="agree as text"):
        spatial("y ~ x", numeric, w, panel=PANEL, effects="individual")


def test_not_row_standardised_when_required(provinces) -> None:
    frame, _ = provinces
    binary = vw.queen_provinces(standardize=None)
    with pytest.raises(EstimationError, match=r"not row-standardised \(rows of \['11'"):
        spatial("y ~ x", frame, binary, panel=PANEL, require_row_standardized=True)


def test_lee_yu_with_time_effects_needs_row_standardised_w(provinces) -> None:
    frame, _ = provinces
    binary = vw.queen_provinces(standardize=None)
    with pytest.raises(
        EstimationError, match="lee_yu=True with time effects needs a row-standardised w"
    ):
        spatial("y ~ x", frame, binary, panel=PANEL, effects="twoways", lee_yu=True)


def test_bounds_outside_the_stable_range(provinces) -> None:
    frame, w = provinces
    with pytest.raises(
        EstimationError, match=r"leave the stable range of \|rho\|.*\(-1\.6036\d*, 1\)"
    ):
        spatial("y ~ x", frame, w, panel=PANEL, bounds={"rho": (-0.5, 1.2)})


def test_collinear_regressors_are_named(provinces) -> None:
    frame, w = provinces
    data = frame.assign(x2=2 * frame["x"] - frame["z"])
    with pytest.raises(EstimationError, match=r"collinear \(3 columns, rank 2\); \['x2'\]"):
        spatial("y ~ x + z + x2", data, w, panel=PANEL, effects="individual")


def test_regressor_constant_within_units_under_individual_effects(provinces) -> None:
    frame, w = provinces
    data = frame.assign(coastal=frame["province"].astype(int) % 2)
    with pytest.raises(EstimationError, match=r"\['coastal'\] have no variation left"):
        spatial("y ~ x + coastal", data, w, panel=PANEL, effects="individual")


def test_unbalanced_panel_names_the_units(provinces) -> None:
    frame, w = provinces
    gap = frame.drop(index=frame.index[(frame["province"] == "44") & (frame["year"] == 2012)])
    with pytest.raises(EstimationError, match=r"unbalanced.*units missing periods: '44'"):
        spatial("y ~ x", gap, w, panel=PANEL, effects="twoways")


def test_duplicated_unit_period_rows(provinces) -> None:
    frame, w = provinces
    with pytest.raises(
        EstimationError, match=r"\(unit, time\) repeats in the data: \('11', 2010\)"
    ):
        spatial("y ~ x", pd.concat([frame, frame.iloc[:1]]), w, panel=PANEL)


def test_missing_values_name_the_unit(provinces) -> None:
    frame, w = provinces
    data = frame.copy()
    data.loc[5, "x"] = np.nan
    with pytest.raises(EstimationError, match=r"column 'x' is missing.*units '12'"):
        spatial("y ~ x", data, w, panel=PANEL)


def test_unknown_column_is_named(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match="column 'pgdp'"):
        spatial("y ~ pgdp", frame, w, panel=PANEL)


def test_fixed_effects_in_the_formula_are_refused(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match="give fixed effects with effects="):
        spatial("y ~ x | province", frame, w, panel=PANEL)


def test_transformed_terms_are_refused(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match=r"term 'log\(x\)' is not a plain column"):
        spatial("y ~ log(x)", frame, w, panel=PANEL)


def test_effects_without_a_panel(provinces) -> None:
    frame, w = provinces
    one = frame[frame["year"] == 2010]
    with pytest.raises(EstimationError, match="needs a panel"):
        spatial("y ~ x", one, w, unit="province", effects="individual")


def test_lee_yu_without_fixed_effects(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match="fixed-effects panels only"):
        spatial("y ~ x", frame, w, panel=PANEL, lee_yu=True)


def test_interaction_needs_a_spatial_lag(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match="interaction= needs a spatial lag"):
        spatial("y ~ x", frame, w, model="sem", panel=PANEL, interaction="z")


def test_lee_yu_is_refused_for_the_interaction_model(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match="not available for the interaction model"):
        spatial("y ~ x", frame, w, panel=PANEL, effects="individual", interaction="z", lee_yu=True)


def test_unknown_model(provinces) -> None:
    frame, w = provinces
    with pytest.raises(
        EstimationError, match=r"model must be one of \['sac', 'sar', 'sdem', 'sdm', 'sem'\]"
    ):
        spatial("y ~ x", frame, w, model="gns", panel=PANEL)


def test_libpysal_w_must_be_converted(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match=r"vagg\.weights\.from_libpysal"):
        spatial("y ~ x", frame, w.to_libpysal(), panel=PANEL)


def test_slx_names_must_be_regressors(provinces) -> None:
    frame, w = provinces
    with pytest.raises(EstimationError, match=r"slx names \['q'\]"):
        spatial("y ~ x + z", frame, w, model="sdm", panel=PANEL, slx=["q"])
