"""Latent firm-year quantities behind paper 000's Tables 5, 6 and 8, kept for the truth.

The generator's own records of what each firm chose in a year — its direct intermediate
imports by regime, the prices it set on its export lines — summarised per firm-year so that
:mod:`vagg.data.synth.truth_design` can compute the estimands of the regressions on them.
They are read from the generator's internal line frames (before any file is written), never
from the customs files and never through :mod:`vagg.measures`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["latent_margins"]

#: the customs regimes of paper 000's trade (ordinary 10, processing 14 and 15)
_CORE = ("10", "14", "15")


def latent_margins(
    firm: np.ndarray,
    imports: pd.DataFrame,
    exports: pd.DataFrame,
    inter: pd.DataFrame,
    products: pd.DataFrame,
) -> pd.DataFrame:
    """Per firm of ``firm`` (the year's firm indices, in order):

    * ``n_import_hs6`` — distinct intermediate HS6 products the firm imported itself under
      regimes 10/14/15 (the extensive margin of Table 8 (1));
    * ``import_direct_usd`` — their value (Table 8 (2)–(3): what the firm declared, without
      the share m_k it bought through intermediaries);
    * ``mia_p_direct_usd`` — the processing part of it (regimes 14/15; Table 5's DVAR2 uses it);
    * ``log_price_rel`` — mean over the firm's export lines of the log price it set minus the
      mean log price of all the year's export lines of the same HS6 product and unit,
      intermediaries' included (``inter``; Table 6 (6), the within-product price);
    * ``n_export_lines`` — number of those lines.
    """
    end_use = products["end_use"].to_numpy()
    out = pd.DataFrame(index=pd.Index(firm, name="firm"))
    if len(imports):
        rows = imports["hs6_row"].to_numpy().astype(np.int64)
        keep = imports["regime"].isin(_CORE).to_numpy() & (end_use[rows] == "intermediate")
        direct = imports[keep]
        by_firm = direct.groupby("firm")
        out["n_import_hs6"] = by_firm["hs6_row"].nunique().reindex(firm).fillna(0).to_numpy()
        out["import_direct_usd"] = by_firm["value_usd"].sum().reindex(firm).fillna(0).to_numpy()
        proc = direct[direct["regime"] != "10"].groupby("firm")["value_usd"].sum()
        out["mia_p_direct_usd"] = proc.reindex(firm).fillna(0).to_numpy()
    else:
        out["n_import_hs6"] = 0.0
        out["import_direct_usd"] = 0.0
        out["mia_p_direct_usd"] = 0.0
    if len(exports):
        prod = exports["hs6_row"].to_numpy().astype(np.int64)
        luv = np.log(exports["value_usd"].to_numpy() / exports["quantity"].to_numpy())
        # every export line of the year, intermediaries' included (they declare quantities
        # at the product's base price level), sets the product-year mean
        others = inter[inter["flow"] == "export"] if len(inter) else inter
        other_prod = others["hs6_row"].to_numpy().astype(np.int64) if len(others) else prod[:0]
        level = products["price_level"].to_numpy()
        all_prod = np.concatenate([prod, other_prod])
        all_luv = np.concatenate([luv, level[other_prod]])
        hs6 = products["hs8"].astype(str).str[:6] + "|" + products["unit"].astype(str)
        key = pd.factorize(hs6.to_numpy()[all_prod])[0]
        mean = np.bincount(key, weights=all_luv) / np.bincount(key)
        rel = luv - mean[key[: len(luv)]]
        lines = pd.DataFrame({"firm": exports["firm"].to_numpy(), "rel": rel})
        grouped = lines.groupby("firm")["rel"]
        out["log_price_rel"] = grouped.mean().reindex(firm).to_numpy()
        out["n_export_lines"] = grouped.size().reindex(firm).fillna(0).to_numpy()
    else:
        out["log_price_rel"] = np.nan
        out["n_export_lines"] = 0.0
    return out.reset_index(drop=True)
