"""vagg_txt: jieba segmentation of a hand example with the shipped dictionary, counting rules,
the spec's ln(1 + count), the dictionary's provenance columns, and bad input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from vagg.data.errors import SchemaError
from vagg.measures.text import count_terms, load_dictionary, segment, vagg_txt

SENTENCE = "大力发展电子商务，推进“互联网+”行动，加快移动互联网、大数据、云计算发展。"


def test_segmentation_of_a_hand_example() -> None:
    # NFKC turns the full-width comma into ","; dictionary terms stay whole
    assert segment(SENTENCE) == [
        "大力发展",
        "电子商务",
        ",",
        "推进",
        "“",
        "互联网+",
        "”",
        "行动",
        ",",
        "加快",
        "移动互联网",
        "、",
        "大数据",
        "、",
        "云计算",
        "发展",
        "。",
    ]


def test_long_terms_count_once_and_full_width_latin_matches() -> None:
    counts = count_terms("建设智慧城市，发展Ｏ２Ｏ和3D打印。移动互联网和互联网。")
    assert counts["移动互联网"] == 1
    assert counts["互联网"] == 1
    assert counts["O2O"] == 1
    assert counts["3D打印"] == 1
    assert counts["智慧城市"] == 1
    assert counts["__tokens__"] == 9  # 建设 智慧城市 发展 O2O 和 3D打印 移动互联网 和 互联网


def test_vagg_txt_log1p_sums_reports_of_a_city_year() -> None:
    texts = pd.DataFrame(
        {
            "region_code": ["110100", "110100", "120100"],
            "year": [2015, 2015, 2015],
            "doc_type": ["government_work_report", "supplement", "government_work_report"],
            "text": [SENTENCE, "推进智能制造。", "农业生产稳定。"],
        }
    )
    out = vagg_txt(texts, by_term=True).data.set_index("region_code")
    assert out.loc["110100", "count"] == 6
    assert out.loc["110100", "vagg_txt"] == pytest.approx(math.log(7))
    assert out.loc["110100", "n_智能制造"] == 1
    assert out.loc["120100", "vagg_txt"] == 0.0


def test_other_measures_and_custom_dictionary() -> None:
    texts = pd.DataFrame(
        {
            "region_code": ["110100", "120100"],
            "year": [2014, 2014],
            "text": [SENTENCE, "农业生产稳定。"],
        }
    )
    share = vagg_txt(texts, measure="share").data.set_index("region_code")
    assert share.loc["110100", "vagg_txt"] == pytest.approx(5 / 10)
    logged = vagg_txt(texts, measure="log")
    assert logged.excluded == {"zero count (log undefined, null)": 1}
    custom = vagg_txt(texts, dictionary=["大数据", "云计算"], measure="count").data
    assert custom.set_index("region_code").loc["110100", "vagg_txt"] == 2


def test_empty_text_is_counted() -> None:
    texts = pd.DataFrame(
        {"region_code": ["110100", "120100"], "year": [2014, 2014], "text": [SENTENCE, "  "]}
    )
    out = vagg_txt(texts)
    assert out.excluded == {"report with missing or empty text": 1}
    assert len(out.data) == 1


def test_dictionary_has_provenance() -> None:
    table = load_dictionary()
    assert table["term"].is_unique
    assert set(table["dimension"]) == {
        "digital_technology",
        "internet_business",
        "intelligent_manufacturing",
        "information_systems",
        "virtual_agglomeration",
    }
    assert set(table["source"]) == {"he_liu_2019;ni_liu_2021", "vagg"}
    assert len(table) == 78


def test_dictionary_errors() -> None:
    with pytest.raises(SchemaError, match="not one string"):
        segment(SENTENCE, dictionary="大数据")
    with pytest.raises(SchemaError, match="spaces"):
        segment(SENTENCE, dictionary=["大 数据"])
    with pytest.raises(SchemaError, match="no terms"):
        segment(SENTENCE, dictionary=[])


def test_missing_text_column_is_named() -> None:
    with pytest.raises(SchemaError, match=r"table 'texts', column 'text'"):
        vagg_txt(pd.DataFrame({"region_code": ["110100"], "year": [2014]}))


def test_duplicate_report_is_an_error() -> None:
    texts = pd.DataFrame(
        {"region_code": ["110100"] * 2, "year": [2014] * 2, "text": [SENTENCE, SENTENCE]}
    )
    with pytest.raises(SchemaError, match="duplicate key"):
        vagg_txt(texts)
