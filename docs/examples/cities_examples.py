"""The worked examples of docs/measures/cities.md, on China's OECD input-output table.

Run ``python docs/examples/cities_examples.py PATH/TO/oecd_iot2021_chn_1995_2018_long.csv``;
every Markdown table row it prints appears verbatim in docs/measures/cities.md (a test checks).
"""

from __future__ import annotations

import sys

import pandas as pd
import polars as pl

from vagg.data.oecd_io import TradeSplit, digital_shifts, iot_identities, read_oecd_iot
from vagg.measures.shift_share import bartik_vagg, vagg_in

MANUFACTURING = [f"{i:02d}" for i in range(6, 23)]


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A Markdown table with floats at ``digits`` decimals and codes and years as text."""
    text = frame.copy()
    for column in text.columns:
        if pd.api.types.is_float_dtype(text[column]):
            text[column] = text[column].map(lambda v: f"{v:.{digits}f}")
        else:
            text[column] = text[column].astype(str)
    return text.to_markdown(index=False, disable_numparse=True)


def main(path: str) -> str:
    """The example tables as Markdown."""
    iot = read_oecd_iot(path)
    out = [f"identities 2010: {iot_identities(iot, 2010)}"]
    shifts = digital_shifts(iot, trade_split=0.0)
    manu = shifts.filter(pl.col("sector").is_in(MANUFACTURING))
    by_year = (
        manu.group_by("year")
        .agg(
            (pl.col("virtual") * 100).mean().alias("mean ×100"),
            (pl.col("virtual") * 100).min().alias("min ×100"),
            (pl.col("virtual") * 100).max().alias("max ×100"),
        )
        .sort("year")
    )
    out.append(_markdown(by_year.to_pandas()))
    picked = (
        shifts.filter(
            pl.col("sector").is_in(["06", "07", "11", "17", "19", "20"])
            & pl.col("year").is_in([2005, 2010, 2015])
        )
        .with_columns((pl.col("virtual") * 100).alias("v"))
        .pivot(on="year", index=["sector", "label"], values="v")
    )
    out.append(_markdown(picked.to_pandas()))
    split = TradeSplit(wholesale_share=0.5, digital_wholesale=0.02, digital_retail=0.05)
    one = digital_shifts(iot, trade_split=split, years=[2010], sectors=["17"])
    cols = ["a_34", "a_35", "a_26", "trade_digital_share", "virtual", "data_input"]
    out.append(_markdown(one.select(cols).to_pandas(), digits=5))
    census = pd.DataFrame(
        {
            "city_code": ["440300", "440300", "440300", "410100", "410100"],
            "cic4": ["4011", "3721", "1310", "1310", "3110"],
            "output": [600.0, 300.0, 100.0, 400.0, 600.0],
        }
    )
    vagg = bartik_vagg(census, shifts, years=[2005, 2010, 2015]).data
    vin = vagg_in(census, shifts, years=[2005, 2010, 2015]).data
    both = vagg.merge(vin[["city_code", "year", "vagg_in"]], on=["city_code", "year"])
    out.append(_markdown(both[["city_code", "year", "vagg", "vagg_in"]]))
    return "\n\n".join(out)


if __name__ == "__main__":
    print(main(sys.argv[1]))
