"""Text-based virtual agglomeration ``vagg_txt`` from government work reports (paper 001 Table 4
col. 3).

The paper scrapes 5,776 city government work reports (政府工作报告), segments them with the
``jieba`` Chinese word segmenter, sums the frequencies of the terms of a virtual-agglomeration
dictionary built "combining" 何帆和刘红霞 (2019, 改革) and 倪克金和刘修岩 (2021, 经济管理), and
takes logs; the dictionary is not published ("相关词典与词频数据未列示，备案"). Spec 001 §2.3:

    vagg_txt_ct = ln(1 + Σ_{w ∈ Dict} count_{w,c,t})          (the +1 is the spec's [C] default)

**Dictionary.** vagg ships ``data/resources/vagg_txt_dictionary.csv`` (term, dimension,
source, note; :func:`load_dictionary`). Both cited articles measure firms' digital
transformation from annual-report text; their own term lists could not be consulted when this
file was written, so the file is vagg's reconstruction, not the authors' lists: 70 terms under
the four dimensions this literature groups its terms in — digital technology (数字技术应用),
internet business models (互联网商业模式), intelligent manufacturing (智能制造) and information
systems (现代信息系统) — chosen for the vocabulary of work reports of 2005–2015 (宽带, 三网融合,
两化融合, 电子政务, 智慧城市 …), marked ``he_liu_2019;ni_liu_2021``; and 8 platform and
virtual-cluster terms for the paper's own concept, marked ``vagg``. Pass ``dictionary=`` (a
list of terms, or a table with a ``term`` column) to use another list, e.g. the authors'.

**Counting.** Each dictionary term is added to a private jieba tokenizer (so it is never split)
and a report's count is the number of tokens equal to a term: an occurrence of a long term
(移动互联网) counts once, not also as its parts (互联网). Texts are NFKC-normalised first
(full-width letters and digits become ASCII) and Latin terms match case-insensitively. Also
returned: the number of word tokens (tokens with a letter, digit or CJK character) and the
dictionary share count / tokens, a length-adjusted variant. Written here because segmentation
and counting are a few lines over jieba; the dictionary is the substance.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import pandas as pd
import polars as pl

from vagg.data.errors import SchemaError
from vagg.measures._city_inputs import (
    CityMeasure,
    as_polars,
    codes_as_text,
    like,
    require,
    unique_key,
    year_int,
)

__all__ = ["count_terms", "load_dictionary", "segment", "vagg_txt"]

Measure = Literal["log1p", "log", "count", "share"]


def load_dictionary() -> pd.DataFrame:
    """The shipped virtual-agglomeration dictionary (see the module docstring for provenance).

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``dimension`` (digital_technology, internet_business,
        intelligent_manufacturing, information_systems, virtual_agglomeration), ``source``
        and ``note``; one row per term.
    """
    path = resources.files("vagg.data").joinpath("resources", "vagg_txt_dictionary.csv")
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def _terms(dictionary: Any) -> tuple[str, ...]:
    if dictionary is None:
        terms = load_dictionary()["term"].tolist()
    elif isinstance(dictionary, str):
        raise SchemaError("dictionary", None, "must be a collection of terms, not one string")
    elif hasattr(dictionary, "columns"):
        frame = as_polars(dictionary, "dictionary")
        require(frame, "dictionary", ["term"])
        terms = [str(t) for t in frame["term"].to_list()]
    else:
        terms = [str(t) for t in dictionary]
    cleaned = tuple(sorted({_normalise(t).strip() for t in terms if str(t).strip()}))
    if not cleaned:
        raise SchemaError("dictionary", "term", "the dictionary has no terms")
    bad = [t for t in cleaned if any(ch.isspace() for ch in t)]
    if bad:
        raise SchemaError("dictionary", "term", f"terms must not contain spaces: {bad[:5]}")
    return cleaned


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=4)
def _tokenizer(terms: tuple[str, ...]) -> Any:
    """A jieba tokenizer of its own (no global state) that keeps every term whole."""
    import jieba

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in terms:
        tokenizer.add_word(term)
    return tokenizer


def segment(text: str, *, dictionary: Any = None, hmm: bool = True) -> list[str]:
    """Segment a Chinese text with jieba after adding the dictionary's terms.

    Parameters
    ----------
    text : str
        The text (NFKC-normalised before segmentation).
    dictionary : list of str or DataFrame with ``term``, optional
        Terms kept whole (default: :func:`load_dictionary`).
    hmm : bool
        jieba's HMM discovery of unknown words (its default, True).

    Returns
    -------
    list of str
        The tokens, punctuation included, in order.
    """
    tokenizer = _tokenizer(_terms(dictionary))
    return list(tokenizer.lcut(_normalise(text), HMM=hmm))


def _is_word(token: str) -> bool:
    return any(ch.isalnum() for ch in token)


def count_terms(text: str, *, dictionary: Any = None, hmm: bool = True) -> dict[str, int]:
    """Occurrences of each dictionary term among the jieba tokens of ``text``.

    Returns
    -------
    dict of str to int
        term → count for the terms that occur, plus ``"__tokens__"``: the number of word
        tokens (tokens with a letter, digit or CJK character).
    """
    terms = _terms(dictionary)
    lookup = {t.upper(): t for t in terms}
    counts: dict[str, int] = {}
    words = 0
    for token in segment(text, dictionary=terms, hmm=hmm):
        if not _is_word(token):
            continue
        words += 1
        hit = lookup.get(token.upper())
        if hit is not None:
            counts[hit] = counts.get(hit, 0) + 1
    counts["__tokens__"] = words
    return counts


def vagg_txt(
    texts: Any,
    *,
    dictionary: Any = None,
    region: str = "region_code",
    text: str = "text",
    measure: Measure = "log1p",
    by_term: bool = False,
    hmm: bool = True,
) -> CityMeasure:
    """Dictionary frequency of virtual-agglomeration terms in work reports, ``vagg_txt``.

    vagg_txt_ct = ln(1 + Σ_w count_{w,c,t}) by default (spec 001 §2.3 and §8); the counts of
    all reports of a region-year (e.g. several ``doc_type``) are summed.

    Parameters
    ----------
    texts : DataFrame
        Reports: ``region``, year, ``text`` (canonical table ``texts``).
    dictionary : list of str or DataFrame with ``term``, optional
        Default :func:`load_dictionary`.
    region, text : str
        Column names.
    measure : {"log1p", "log", "count", "share"}
        ln(1 + count) (default), ln(count) (null for a zero count, counted), the raw count, or
        count / word tokens.
    by_term : bool
        Also return the per-term counts (``CityMeasure.data`` then has one column per term
        that occurs, prefixed ``n_``).
    hmm : bool
        jieba's HMM option.

    Returns
    -------
    CityMeasure
        ``data``: (region_code, year, n_tokens, count, vagg_txt[, n_<term> …]); reports with
        missing or empty text are left out and counted.
    """
    if measure not in ("log1p", "log", "count", "share"):
        raise SchemaError("vagg_txt", None, "measure must be log1p, log, count or share")
    frame = as_polars(texts, "texts")
    require(frame, "texts", [region, "year", text])
    frame = year_int(codes_as_text(frame, "texts", [region]), "texts")
    if frame[text].dtype != pl.String:
        raise SchemaError("texts", text, f"must be text, got {frame[text].dtype}")
    key = [region, "year"] + (["doc_type"] if "doc_type" in frame.columns else [])
    unique_key(frame, "texts", key)
    empty = frame.filter(pl.col(text).is_null() | (pl.col(text).str.strip_chars() == ""))
    frame = frame.filter(pl.col(text).is_not_null() & (pl.col(text).str.strip_chars() != ""))
    terms = _terms(dictionary)
    rows: list[dict[str, Any]] = []
    for code, year, body in frame.select(region, "year", text).iter_rows():
        counts = count_terms(body, dictionary=terms, hmm=hmm)
        tokens = counts.pop("__tokens__")
        rows.append(
            {
                "region_code": code,
                "year": year,
                "n_tokens": tokens,
                "count": sum(counts.values()),
                **{f"n_{t}": c for t, c in counts.items()},
            }
        )
    data = _assemble(rows, terms, by_term)
    excluded: dict[str, int] = {}
    if empty.height:
        excluded["report with missing or empty text"] = empty.height
    count = pl.col("count").cast(pl.Float64)
    if measure == "log1p":
        value = count.log1p()
    elif measure == "log":
        zero = data.filter(pl.col("count") == 0).height
        if zero:
            excluded["zero count (log undefined, null)"] = zero
        value = pl.when(count > 0).then(count.log()).otherwise(None)
    elif measure == "count":
        value = count
    else:
        value = count / pl.col("n_tokens").cast(pl.Float64)
    data = data.with_columns(value.alias("vagg_txt"))
    columns = ["region_code", "year", "n_tokens", "count", "vagg_txt"]
    data = data.select(columns + [c for c in data.columns if c not in columns])
    notes = [f"measure={measure}", f"{len(terms)} dictionary terms", f"jieba HMM={hmm}"]
    return CityMeasure(like(data, texts), frame.height + empty.height, excluded, notes)


def _assemble(rows: list[dict[str, Any]], terms: Sequence[str], by_term: bool) -> pl.DataFrame:
    schema = {"region_code": pl.String, "year": pl.Int64, "n_tokens": pl.Int64, "count": pl.Int64}
    if not rows:
        return pl.DataFrame(schema=schema)
    frame = pl.DataFrame(rows, infer_schema_length=None)
    term_cols = [c for c in frame.columns if c.startswith("n_") and c != "n_tokens"]
    frame = frame.with_columns(pl.col(term_cols).fill_null(0)) if term_cols else frame
    summed = frame.group_by("region_code", "year").agg(pl.all().sum()).sort("region_code", "year")
    if not by_term:
        return summed.select(list(schema))
    ordered = [f"n_{t}" for t in terms if f"n_{t}" in summed.columns]
    return summed.select([*schema, *ordered])
