"""Tests for vagg.data.concordance: UN HS→BEC tables and BGW σ.

Real files come from ``../shared/data/concordance/`` next to the repository (not shipped with
it); the tests that need them skip when the folder is absent. The expected numbers were read
from the raw files with other tools:
- row counts: ``wc -l`` (HS2002: 5352 lines, HS2007: 5051 lines, one header line each);
  ``grep -c "n to n"`` on the HS2002 file: 234; distinct HS02 codes
  (``cut -d, -f1 | tail -n +2 | sort -u | wc -l``): 5224;
- individual lines: ``grep -n`` (e.g. line 865 ``271011,32,n to 1``, line 3303
  ``710820,n/a,n to 1``, lines 5225–5227 ``950100`` with BEC 22, 62, 63);
- σ: ``pandas.read_stata`` of the .dta, rows with ``cname == "China"`` (170 rows;
  hs_3digit 10 → 1.477455, 20 → 5.121946, 21 → 2.932613, 847 → 3.023737; 7 values below 1.5,
  10 above 20), and ``numpy.percentile`` of China's σ for the 1st/99th percentiles.
The BEC → end-use classes are typed in below from trade_measures.md §0.3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vagg.data import concordance
from vagg.data.concordance import ReferenceDataError

CONCORDANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "concordance"
HS2002 = CONCORDANCE_DIR / "HS2002_to_BEC_Conversion_and_Correlation_Tables.csv"
HS2007 = CONCORDANCE_DIR / "HS2007_to_BEC_Conversion_and_Correlation_Tables.csv"
SIGMA = CONCORDANCE_DIR / "Sigmas73countries_9403_HS3digit.dta"


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"reference file {path.name} not found in {CONCORDANCE_DIR}")
    return path


# trade_measures.md §0.3, BEC Rev.4 → SNA end-use classes.
SECTION_0_3 = {
    "intermediate": ["111", "121", "21", "22", "31", "322", "42", "53"],
    "capital": ["41", "521"],
    "consumption": ["112", "122", "522", "61", "62", "63"],
    "unclassified": ["321", "51", "7"],
}


def test_bec_end_use_classes_match_methods_note() -> None:
    for end_use, codes in SECTION_0_3.items():
        for code in codes:
            assert concordance.bec_end_use(code) == end_use
    assert len(concordance.BEC_END_USE) == sum(len(v) for v in SECTION_0_3.values())
    # Parent codes: children agree → their class; children differ → unclassified.
    assert concordance.bec_end_use("2") == "intermediate"
    assert concordance.bec_end_use("4") == "unclassified"  # 41 capital, 42 intermediate
    assert concordance.bec_end_use("6") == "consumption"
    assert concordance.bec_end_use("32") == "unclassified"
    assert concordance.bec_end_use("52") == "unclassified"
    assert concordance.bec_end_use(None) == "unclassified"
    with pytest.raises(ReferenceDataError, match="'99'"):
        concordance.bec_end_use("99")


def test_read_hs2002_file() -> None:
    table = concordance.read_hs_bec(_require(HS2002))
    assert list(table.columns) == ["hs6", "bec", "relationship", "end_use"]
    assert len(table) == 5351
    assert table["hs6"].str.fullmatch(r"\d{6}").all()
    assert table["hs6"].nunique() == 5224
    assert (table["relationship"] == "n:n").sum() == 234
    assert set(table["relationship"]) == {"n:1", "n:n"}
    assert table.attrs["relationship_source"] == "file"
    assert table.attrs["hs_column"] == "HS02"

    def rows(hs6: str) -> list[tuple[object, str, str]]:
        part = table.loc[table["hs6"] == hs6]
        bec = [None if pd.isna(b) else b for b in part["bec"]]
        return list(zip(bec, part["relationship"], part["end_use"], strict=True))

    assert rows("010110") == [("41", "n:1", "capital")]
    assert rows("271011") == [("32", "n:1", "unclassified")]
    assert rows("710820") == [(None, "n:1", "unclassified")]
    assert rows("392690") == [("22", "n:n", "intermediate"), ("62", "n:n", "consumption")]
    assert rows("950100") == [
        ("22", "n:n", "intermediate"),
        ("62", "n:n", "consumption"),
        ("63", "n:n", "consumption"),
    ]


def test_read_hs2007_file_with_dotted_codes_and_no_flag() -> None:
    table = concordance.read_hs_bec(_require(HS2007))
    assert len(table) == 5050
    assert table["hs6"].str.fullmatch(r"\d{6}").all()
    assert table["hs6"].is_unique
    assert table.attrs["relationship_source"] == "derived"
    assert set(table["relationship"]) == {"n:1"}
    bec = dict(zip(table["hs6"], table["bec"], strict=True))
    assert bec["010110"] == "41"  # line 2: 0101.10,41
    assert bec["271011"] == "32"  # line 850: 2710.11,32
    assert bec["271091"] == "21"  # line 852: 2710.91,21
    assert bec["847130"] == "41"  # line 4203: 8471.30,41
    assert bec["870323"] == "51"  # line 4591: 8703.23,51
    end_use = dict(zip(table["hs6"], table["end_use"], strict=True))
    assert end_use["870323"] == "unclassified"
    assert end_use["847130"] == "capital"


def test_hs_end_use_resolves_one_class_per_hs6() -> None:
    hs_bec = concordance.read_hs_bec(_require(HS2002))
    resolved = concordance.hs_end_use(hs_bec)
    assert resolved["hs6"].is_unique
    assert len(resolved) == 5224
    row = resolved.set_index("hs6")
    # 950100: BEC 22, 62, 63 → two consumption rows beat one intermediate row.
    assert row.loc["950100", "end_use"] == "consumption"
    assert row.loc["950100", "n_bec"] == 3
    assert row.loc["950100", "bec_codes"] == "22;62;63"
    assert bool(row.loc["950100", "ambiguous"])
    # 847330: BEC 41, 42 → tie between capital and intermediate → intermediate.
    assert row.loc["847330", "end_use"] == "intermediate"
    # 880110: BEC 521, 522 → tie between capital and consumption → capital.
    assert row.loc["880110", "end_use"] == "capital"
    # A 1:1 product keeps its class and is not ambiguous.
    assert row.loc["010110", "end_use"] == "capital"
    assert not bool(row.loc["010110", "ambiguous"])
    assert row.loc["710820", "bec_codes"] == "n/a"

    unanimous = concordance.hs_end_use(hs_bec, rule="unanimous").set_index("hs6")
    assert unanimous.loc["847330", "end_use"] == "unclassified"
    assert unanimous.loc["010110", "end_use"] == "capital"
    # The products with several BEC codes whose classes differ.
    assert int(resolved["ambiguous"].sum()) == 96


def test_hs_end_use_rejects_bad_input() -> None:
    with pytest.raises(ReferenceDataError, match="'rule'"):
        concordance.hs_end_use(pd.DataFrame(columns=["hs6", "bec", "end_use"]), rule="first")  # type: ignore[arg-type]
    with pytest.raises(ReferenceDataError, match=r"lacks column\(s\) \['end_use'\]"):
        concordance.hs_end_use(pd.DataFrame({"hs6": ["010110"], "bec": ["41"]}))


def test_read_sigma_china_default_cap() -> None:
    sigma = concordance.read_sigma(_require(SIGMA))
    assert list(sigma.columns) == ["hs3", "sigma", "sigma_raw"]
    assert len(sigma) == 170
    assert sigma["hs3"].str.fullmatch(r"\d{3}").all()
    assert sigma["hs3"].is_unique
    row = sigma.set_index("hs3")
    assert row.loc["010", "sigma_raw"] == pytest.approx(1.477455, abs=1e-6)
    assert row.loc["010", "sigma"] == 1.5  # capped up
    assert row.loc["020", "sigma"] == pytest.approx(5.121946, abs=1e-6)
    assert row.loc["021", "sigma"] == pytest.approx(2.932613, abs=1e-6)
    assert row.loc["847", "sigma"] == pytest.approx(3.023737, abs=1e-6)
    assert sigma["sigma"].between(1.5, 20.0).all()
    assert sigma.attrs["sigma_cap"] == (1.5, 20.0)
    assert sigma.attrs["sigma_cap_rule"] == "bounds"
    assert sigma.attrs["n_capped_low"] == 7
    assert sigma.attrs["n_capped_high"] == 10


def test_read_sigma_other_caps_and_countries() -> None:
    path = _require(SIGMA)
    raw = pd.read_stata(path)
    china = raw.loc[raw["cname"] == "China", "sigma"].astype(float).to_numpy()
    uncapped = concordance.read_sigma(path, cap=None)
    np.testing.assert_allclose(np.sort(uncapped["sigma"]), np.sort(china))
    assert uncapped.attrs["sigma_cap"] is None

    pct = concordance.read_sigma(path, cap="p1_p99")
    low, high = np.percentile(china, [1, 99])
    assert pct.attrs["sigma_cap"] == pytest.approx((low, high))
    assert pct["sigma"].min() == pytest.approx(low)
    assert pct["sigma"].max() == pytest.approx(high)
    assert low == pytest.approx(1.340096, abs=1e-6)
    assert high == pytest.approx(56.027521, abs=1e-6)

    everyone = concordance.read_sigma(path, country=None)
    assert len(everyone) == 11293
    assert everyone["country"].nunique() == 73
    hong_kong = concordance.read_sigma(path, country="Hong Kong")
    assert len(hong_kong) == (raw["cname"] == "HongKong").sum()


def test_read_sigma_unknown_country_and_bad_cap() -> None:
    path = _require(SIGMA)
    with pytest.raises(ReferenceDataError, match="no country 'Atlantis'"):
        concordance.read_sigma(path, country="Atlantis")
    with pytest.raises(ReferenceDataError, match="'cap'"):
        concordance.read_sigma(path, cap=(20.0, 1.5))
    with pytest.raises(ReferenceDataError, match="'cap'"):
        concordance.read_sigma(path, cap="p5_p95")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# Hand-made files for the layout checks.


def _write(tmp_path: Path, text: str, name: str = "HS2017 to BEC.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_small_file_layout_variants(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "HS 2017,BEC,Relationship\n"
        "10121,41,n:1\n"  # leading zero lost in a spreadsheet
        "0101.29,111,n:1\n"
        "010130,111,n:n\n"
        "010130,41,n:n\n"
        "010130,41,n:n\n"  # exact duplicate
        "271012,320,n:1\n",  # BEC padded to three digits
    )
    table = concordance.read_hs_bec(path)
    assert list(table["hs6"]) == ["010121", "010129", "010130", "010130", "271012"]
    assert list(table["bec"]) == ["41", "111", "111", "41", "32"]
    assert list(table["relationship"]) == ["n:1", "n:1", "n:n", "n:n", "n:1"]
    assert table.attrs["n_hs_padded"] == 1
    assert table.attrs["n_duplicate_rows_dropped"] == 1
    assert table.attrs["source"] == "HS2017 to BEC.csv"


def test_missing_bec_column_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "HS02,Category\n010110,41\n")
    with pytest.raises(ReferenceDataError, match=r"HS2017 to BEC\.csv: no 'BEC' column"):
        concordance.read_hs_bec(path)
    path = _write(tmp_path, "Code,BEC\n010110,41\n", name="other.csv")
    with pytest.raises(ReferenceDataError, match=r"other\.csv: no HS code column"):
        concordance.read_hs_bec(path)


def test_malformed_hs_codes_are_listed_with_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "HS02,BEC\n010110,41\n01011A,41\n0101101,22\n010190,111\n")
    with pytest.raises(ReferenceDataError) as error:
        concordance.read_hs_bec(path)
    message = str(error.value)
    assert "column 'HS02'" in message
    assert "2 rows" in message
    assert "line 3: '01011A'" in message
    assert "line 4: '0101101'" in message


def test_unknown_bec_code_and_flag(tmp_path: Path) -> None:
    path = _write(tmp_path, "HS02,BEC,Relationship\n010110,41,n to 1\n010190,99,n to 1\n")
    with pytest.raises(ReferenceDataError, match=r"column 'BEC'.*line 3: '99'"):
        concordance.read_hs_bec(path)
    path = _write(tmp_path, "HS02,BEC,Relationship\n010110,41,many\n", name="flag.csv")
    with pytest.raises(ReferenceDataError, match=r"column 'Relationship'.*line 2: 'many'"):
        concordance.read_hs_bec(path)
    with pytest.raises(ReferenceDataError, match="not found"):
        concordance.read_hs_bec(tmp_path / "absent.csv")


def _write_dta(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "sigma.dta"
    frame.to_stata(path, write_index=False)
    return path


def test_sigma_layout_errors(tmp_path: Path) -> None:
    good = {
        "ccode": [62.0, 62.0],
        "cname": ["China", "China"],
        "hs_3digit": [10.0, 20.0],
        "sigma": [3.0, 4.0],
    }
    path = _write_dta(tmp_path, pd.DataFrame(good).drop(columns="sigma"))
    with pytest.raises(ReferenceDataError, match=r"sigma\.dta: missing column\(s\) \['sigma'\]"):
        concordance.read_sigma(path)

    path = _write_dta(tmp_path, pd.DataFrame({**good, "hs_3digit": [10.0, 20.5]}))
    with pytest.raises(ReferenceDataError, match=r"column 'hs_3digit'.*rows \[1\]"):
        concordance.read_sigma(path)

    path = _write_dta(tmp_path, pd.DataFrame({**good, "sigma": [3.0, np.nan]}))
    with pytest.raises(ReferenceDataError, match=r"column 'sigma'.*rows \[1\]"):
        concordance.read_sigma(path)

    path = _write_dta(tmp_path, pd.DataFrame({**good, "hs_3digit": [10.0, 10.0]}))
    with pytest.raises(ReferenceDataError, match="repeats"):
        concordance.read_sigma(path)

    path = _write_dta(tmp_path, pd.DataFrame(good))
    table = concordance.read_sigma(path, cap=None)
    assert list(table["hs3"]) == ["010", "020"]
