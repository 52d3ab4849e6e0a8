"""Latent outcomes and mechanism indicators of paper 003, from the generator's own records.

The truth of study ``resilience_firms`` is computed on these: every quantity comes from the
firm economy's latent records (the true firm behind each export line and import cell, true
platform membership, the true vagg of the CIE output, the world demand drawn), never from
the published tables and never through :mod:`vagg.measures`. Each function states the
formula it applies; the formulas are the spec's (spec 003 §3–§4) so that a correct chain of
linkage, measures and estimators recovers the estimands built on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vagg.data.synth.world import EMERGING, STRICT, SUPPLY_SHOCKS, WorldDemand

__all__ = [
    "LatentTrade",
    "dh",
]


def dh(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Davis–Haltiwanger growth (x1 − x0)/((x1 + x0)/2); NaN when both are zero."""
    mean = (x0 + x1) / 2
    return np.divide(x1 - x0, mean, out=np.full(len(mean), np.nan), where=mean > 0)


class LatentTrade:
    """Firm-level trade indicators from the latent export lines and import cells.

    ``exports``: firm, year, hs6_row, partner_idx, value_usd (producers' export lines);
    ``imports``: firm, year, hs6_row, partner_idx, regime, value_usd (direct imports).
    """

    def __init__(
        self,
        exports: pd.DataFrame,
        imports: pd.DataFrame,
        products: pd.DataFrame,
        partner_codes: np.ndarray,
        world: WorldDemand,
        smart_rows: np.ndarray,
    ) -> None:
        self.ex = exports.groupby(["firm", "year", "hs6_row", "partner_idx"], as_index=False)[
            "value_usd"
        ].sum()
        self.codes = np.asarray(partner_codes)
        self.world = world
        inter = products["end_use"].to_numpy()[imports["hs6_row"].to_numpy()] == "intermediate"
        regime_ok = imports["regime"].isin(["10", "14", "15"]).to_numpy()
        self.im = (
            imports[inter & regime_ok]
            .groupby(["firm", "year", "hs6_row", "partner_idx"], as_index=False)["value_usd"]
            .sum()
        )
        smart = imports[np.isin(imports["hs6_row"].to_numpy(), smart_rows)]
        self.smart = smart.groupby(["firm", "year"])["value_usd"].sum()
        self.totals = self.ex.groupby(["firm", "year"])["value_usd"].sum()

    # ------------------------------------------------------------------ exports
    def exports_in(self, year: int) -> pd.Series:
        """X_f,year by firm (firms without exports absent)."""
        return self.totals.xs(year, level="year")

    def cells(self, keys: list[str]) -> pd.DataFrame:
        """Exports by firm × year × ``keys`` (partner_idx and/or hs6_row)."""
        return self.ex.groupby(["firm", "year", *keys], as_index=False)["value_usd"].sum()

    def churn(self, key: str) -> pd.DataFrame:
        """Per firm-year t with exports in t or t − 1 (t − 1 ≥ first year): n_added (count of
        ``key`` cells with X_t > 0 = X_t−1) and CHURN = (Σ_added X_t + Σ_dropped X_t−1) /
        ((X_t + X_t−1)/2) over the cells ``key`` (destinations: NEWDEST and DCHURN; HS6
        products: PCHURN)."""
        c = self.cells([key])
        prev = c.assign(year=c["year"] + 1)
        both = c.merge(prev, on=["firm", "year", key], how="outer", suffixes=("", "_prev"))
        both = both[both["year"] <= c["year"].max()].fillna(0.0)
        both = both[both["year"] > c["year"].min()]
        added = both["value_usd_prev"] == 0
        dropped = both["value_usd"] == 0
        both["a"] = np.where(added, both["value_usd"], 0.0)
        both["d"] = np.where(dropped, both["value_usd_prev"], 0.0)
        both["n"] = added.astype(int)
        g = both.groupby(["firm", "year"]).agg(
            x=("value_usd", "sum"), x_prev=("value_usd_prev", "sum"), a=("a", "sum"),
            d=("d", "sum"), n_added=("n", "sum"),
        )  # fmt: skip
        g["CHURN"] = (g["a"] + g["d"]) / ((g["x"] + g["x_prev"]) / 2)
        return g.reset_index()

    def realloc(self) -> pd.DataFrame:
        """REALLOC_ft = Σ_d (s_fdt − s_fd,t−1)·z(ĝ_dt), firms exporting in t and t − 1;
        ĝ_dt = Δ ln Σ_h M_dht standardised across destinations in t."""
        c = self.cells(["partner_idx"])
        c["s"] = c["value_usd"] / c.groupby(["firm", "year"])["value_usd"].transform("sum")
        prev = c.assign(year=c["year"] + 1)[["firm", "year", "partner_idx", "s"]]
        both = c[["firm", "year", "partner_idx", "s"]].merge(
            prev, on=["firm", "year", "partner_idx"], how="outer", suffixes=("", "_prev")
        )
        active = self.totals.reset_index()[["firm", "year"]]
        pairs = active.merge(active.assign(year=active["year"] + 1), on=["firm", "year"])
        both = both.merge(pairs, on=["firm", "year"]).fillna(0.0)
        years = sorted(both["year"].unique())
        z = {int(t): self.world.destination_growth(int(t)) for t in years}
        zz = np.array(
            [z[int(t)][int(d)] for t, d in zip(both["year"], both["partner_idx"], strict=True)]
        )
        both["r"] = (both["s"] - both["s_prev"]) * zz
        return both.groupby(["firm", "year"])["r"].sum().rename("REALLOC").reset_index()

    def emerging(self) -> pd.DataFrame:
        """EMERG_ft = share of X_ft sold to emerging destinations the firm first served in
        t − 1 or t (first year with exports there since the first year of the data); t ≥
        first year + 2."""
        c = self.cells(["partner_idx"])
        first = c.groupby(["firm", "partner_idx"])["year"].transform("min")
        emerging = np.isin(self.codes[c["partner_idx"].to_numpy()], EMERGING)
        new = emerging & (c["year"] - first <= 1).to_numpy()
        c["e"] = np.where(new, c["value_usd"], 0.0)
        g = c.groupby(["firm", "year"])[["e", "value_usd"]].sum()
        g["EMERG"] = g["e"] / g["value_usd"]
        return g.reset_index().loc[lambda d: d["year"] >= c["year"].min() + 2]

    def strict(self) -> pd.DataFrame:
        """STRICT_ft = share of X_ft sold to the strict-standard destinations."""
        c = self.cells(["partner_idx"])
        c["s"] = np.where(np.isin(self.codes[c["partner_idx"].to_numpy()], STRICT), 1.0, 0.0)
        c["s"] = c["s"] * c["value_usd"]
        g = c.groupby(["firm", "year"])[["s", "value_usd"]].sum()
        return (g["s"] / g["value_usd"]).rename("STRICT").reset_index()

    def renewal(self, end: int = 2011, pre: tuple[int, ...] = (2005, 2006, 2007)) -> pd.Series:
        """RENEW_f = share of X_f,end in (HS6, destination) pairs not exported in ``pre``."""
        old = self.ex[self.ex["year"].isin(pre)][["firm", "hs6_row", "partner_idx"]]
        old = old.drop_duplicates().assign(old=True)
        now = self.ex[self.ex["year"] == end].merge(
            old, on=["firm", "hs6_row", "partner_idx"], how="left"
        )
        now["new"] = np.where(now["old"].isna(), now["value_usd"], 0.0)
        g = now.groupby("firm")[["new", "value_usd"]].sum()
        return (g["new"] / g["value_usd"]).rename("RENEW")

    def offset(self, hit: np.ndarray, start: int = 2008, end: int = 2009) -> pd.Series:
        """OFFSET_f = Σ_{d∉H} max(0, ΔX_fd) / Σ_{d∈H} |min(0, ΔX_fd)| (firms with a loss in H)."""
        c = self.cells(["partner_idx"])
        w = c[c["year"].isin([start, end])].pivot_table(
            index=["firm", "partner_idx"], columns="year", values="value_usd", fill_value=0.0
        )
        w = w.reindex(columns=[start, end], fill_value=0.0)
        change = (w[end] - w[start]).to_frame("dx").reset_index()
        in_h = np.isin(change["partner_idx"].to_numpy(), hit)
        change["gain"] = np.where(~in_h, np.maximum(change["dx"], 0), 0.0)
        change["loss"] = np.where(in_h, -np.minimum(change["dx"], 0), 0.0)
        g = change.groupby("firm")[["gain", "loss"]].sum()
        g = g[g["loss"] > 0]
        return (g["gain"] / g["loss"]).rename("OFFSET")

    def foreign_demand(self) -> pd.DataFrame:
        """FD_ft = Σ_{d,h} w_fdh,t−1 · Δ ln M_dht, w the firm's export shares in t − 1."""
        c = self.ex.copy()
        c["w"] = c["value_usd"] / c.groupby(["firm", "year"])["value_usd"].transform("sum")
        c["year"] = c["year"] + 1
        c = c[c["year"] <= int(self.world.years.max())]
        dl = np.zeros(len(c))
        for t, at in c.groupby("year").indices.items():
            d = self.world.dlog(int(t))
            dl[at] = d[c["partner_idx"].to_numpy()[at], c["hs6_row"].to_numpy()[at]]
        c["fd"] = c["w"] * dl
        return c.groupby(["firm", "year"])["fd"].sum().rename("FD").reset_index()

    # ------------------------------------------------------------------ imports
    def sourcing(self) -> pd.DataFrame:
        """Per firm-year importing intermediates: NSRC (source countries), IMPHHI (over
        countries), SWITCH (share in (country, HS6) pairs not used in t − 1; 1 without
        imports in t − 1; first year of the data left out) and M (intermediate imports)."""
        im = self.im
        by_c = im.groupby(["firm", "year", "partner_idx"])["value_usd"].sum().reset_index()
        by_c["s2"] = (
            by_c["value_usd"] / by_c.groupby(["firm", "year"])["value_usd"].transform("sum")
        ) ** 2
        out = by_c.groupby(["firm", "year"]).agg(
            NSRC=("partner_idx", "size"), IMPHHI=("s2", "sum"), M=("value_usd", "sum")
        )
        prev = im[["firm", "year", "hs6_row", "partner_idx"]].assign(year=im["year"] + 1, used=True)
        cur = im.merge(prev, on=["firm", "year", "hs6_row", "partner_idx"], how="left")
        cur["new"] = np.where(cur["used"].isna(), cur["value_usd"], 0.0)
        sw = cur.groupby(["firm", "year"])["new"].sum()
        out["SWITCH"] = sw / out["M"]
        out = out.reset_index()
        return out[out["year"] > im["year"].min()]

    def replacement(self, horizon: int = 1) -> pd.DataFrame:
        """REPLACE per firm and shocked source c (the supply shocks of year s): products h the
        firm imported from c in s − 1; LOSS = Σ_h max(0, M_fch,s−1 − M̄_fch), GAIN = Σ_h
        (M̄_f,−c,h − M_f,−c,h,s−1), M̄ the mean over s … s + horizon; firms with LOSS > 0."""
        im = self.im
        rows = []
        for code, s in SUPPLY_SHOCKS:
            if code not in self.codes:
                continue
            c = int(np.flatnonzero(self.codes == code)[0])
            window = list(range(s, s + horizon + 1))
            base = im[(im["year"] == s - 1) & (im["partner_idx"] == c)]
            products = base[["firm", "hs6_row"]].drop_duplicates()
            sub = im.merge(products, on=["firm", "hs6_row"])
            sub = sub.assign(own=sub["partner_idx"] == c)
            per = (
                sub.groupby(["firm", "hs6_row", "own", "year"])["value_usd"]
                .sum()
                .unstack("year", fill_value=0.0)
            )
            per = per.reindex(columns=[s - 1, *window], fill_value=0.0)
            mean = per[window].mean(axis=1)
            delta = (mean - per[s - 1]).reset_index(name="delta")
            own = delta[delta["own"]]
            other = delta[~delta["own"]]
            loss = own.assign(loss=np.maximum(0.0, -own["delta"])).groupby("firm")["loss"].sum()
            gain = other.groupby("firm")["delta"].sum().reindex(loss.index, fill_value=0.0)
            frame = pd.DataFrame({"LOSS": loss, "GAIN": gain, "partner": code, "year": s})
            rows.append(frame[frame["LOSS"] > 0])
        out = pd.concat(rows).reset_index()
        out["REPLACE"] = out["GAIN"] / out["LOSS"]
        return out

    def smart_imports(self) -> pd.Series:
        """Imports of intelligent equipment (USD) by firm-year."""
        return self.smart
