"""Persistent trade relationships and the planted resilience mechanisms (paper 003).

A producer's exports run on *lines*: (HS6 product, destination) relationships that live for
several years. Its imports of intermediates run on *sources*: (HS6 product, source country)
cells. Both books evolve one year at a time, drawn from the stream ``relations<year>``:

**Export lines** (state per line: product, destination, persistent log effect u ~ N(0, 0.2),
demand state D). Each year t, for every active exporter:

1. *stop*: the firm exports nothing in t with probability ``stop_base``, plus
   ``stop_collapse`` when its lines' value-weighted Δ ln M (t − 1 weights) is below −0.15,
   minus ``stop_member_relief`` for members in that case (SURV);
2. *deaths*: a line ends with hazard ``death_base``; members also drop lines whose world
   demand change is more than 0.10 below the year's mean change over lines, with hazard
   ``exit_shrinking_member`` (reallocation, M4); a firm whose sales fell in t (its own bad
   year, which also lowers its exports) retrenches from those shrinking lines with hazard
   ``retrench_shrinking`` — the year-t basket responds to the year-t outcome, so a demand
   shock weighted by year-t export shares is not predetermined (only t − 1 shares are);
3. *demand state*: D_ℓt = D_ℓ,t−1 + e_ℓt with e = Δ ln M_dht − g_d (the destination's trend
   netted out: it enters every line's value as g_d·(t − 2000), new lines included);
   a member at t − 1 suffers only (1 − ``loss_damping_member``) of a negative e (the
   Loss × vagg offset) and closes ``recovery_speed_member`` of a negative D each year
   (recovery), and its lines gain ``rebound_member`` in the year after a collapse (faster
   re-expansion); non-environmental lines to the green-standard destinations lose
   ``green_loss`` × (1 − ``green_relief_member``·member) in the tightening year; lines of
   non-members in the densest county of their city lose ``congestion_loss`` in 2009 (M2);
4. *births*: Poisson(death_base·L̄·(1 + ``birth_boost_member``·member) +
   (½ + ½·member)·max(0, L̄ − n))
   new lines (lower search costs), L̄ = 3.2·(1 + rate·(1 + boost·member)) the firm's target
   number of lines; a new exporter starts with about L̄ lines. A new line's destination is
   drawn ∝ partner weight × exp(member·(``growth_tilt_member``·z(ĝ_dt) +
   ``emerging_tilt_member``·1{emerging} + ``strict_tilt_member``·1{strict})), its product
   uniformly from the firm's portfolio — for a member, with probability
   ``new_product_member``, from the products of its CIC2 outside the portfolio (new
   products); D = 0, or ``new_line_premium_member`` for a member (better-matched new markets:
   the new growth path of renewal). A firm that stopped restarts with probability ``restart``
   a year.

**Sources**: a target of K = 3·(1 + ``sources_member_boost``·member) cells; a cell ends with
hazard ``source_death`` (+ ``source_death_member`` for members: switching, M3), births refill
towards K. In a supply-shock year the cells from the shocked country deliver only
(1 − ``supply_loss``) of their weight (and half of that loss the next year); each hit cell is
replaced — a new cell of the same product from another country carrying the lost weight —
with probability ``replace_member`` for members and ``replace_nonmember`` otherwise.
Unreplaced losses are substituted by domestic inputs, so realised imports are what the DVAR
accounting uses.

These functions are the data-generating process; they never call :mod:`vagg.measures`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vagg.data.synth.world import (
    COLLAPSE_YEARS,
    EMERGING,
    GREEN_DESTINATIONS,
    GREEN_YEAR,
    STRICT,
    SUPPLY_SHOCKS,
    WorldDemand,
)

__all__ = [
    "RESILIENCE",
    "ExportBook",
    "ResiliencePlanted",
    "ResilienceState",
    "SourceBook",
    "join_effect",
]


@dataclass(frozen=True)
class ResiliencePlanted:
    """Planted sizes of the resilience mechanisms (units in each comment)."""

    loss_damping_member: float = 0.40  # share of a negative demand change a member escapes
    recovery_speed_member: float = 0.50  # share of a negative demand state closed per year
    rebound_member: float = 0.30  # extra demand state of members' lines the year after a collapse
    death_base: float = 0.12  # yearly hazard that an export line ends
    exit_shrinking_member: float = 0.25  # extra hazard of members' lines in markets down >10%
    retrench_shrinking: float = 0.50  # ... of any firm's such lines in a year its sales fell
    birth_boost_member: float = 0.60  # proportional rise of members' line births (search)
    growth_tilt_member: float = 0.80  # log-odds tilt per sd of destination import growth
    emerging_tilt_member: float = 0.50  # log-odds tilt towards emerging destinations
    strict_tilt_member: float = 0.40  # log-odds tilt towards strict-standard destinations
    stop_base: float = 0.0  # yearly probability an exporter stops exporting
    stop_collapse: float = 0.10  # extra when its markets fell by more than 15%
    stop_member_relief: float = 0.06  # ... minus this for members
    restart: float = 1.0  # yearly probability that a firm which stopped exporting restarts
    new_line_premium_member: float = 0.20  # demand state of a member's new line (matching)
    new_product_member: float = 0.30  # share of members' new lines in products new to the firm
    congestion_loss: float = 0.10  # 2009 log loss of non-members in their city's core county
    green_loss: float = 0.30  # log loss of non-environmental lines at tightening destinations
    green_relief_member: float = 0.50  # share of that loss members escape
    join_step: float = 0.04  # dynamic effect of joining on log exports per year since joining
    join_cap: int = 4  # ... growing for this many years: τ(e) = step·min(e + 1, cap), e ≥ 0
    sources_member_boost: float = 0.60  # proportional rise of members' source cells
    source_death: float = 0.15  # yearly hazard that a source cell ends
    source_death_member: float = 0.15  # extra hazard for members (switching)
    supply_loss: float = 0.70  # share of a shocked source's deliveries lost in the shock year
    replace_member: float = 0.80  # probability a member replaces a shocked cell
    replace_nonmember: float = 0.30  # ... a non-member
    smart_base: float = 0.04  # yearly probability a CIE firm imports intelligent equipment
    smart_member: float = 0.12  # ... extra for members


RESILIENCE = ResiliencePlanted()


def join_effect(year: int, adoption_year: np.ndarray, p: ResiliencePlanted = RESILIENCE):
    """τ(e) = step·min(e + 1, cap) for event time e = year − adoption year ≥ 0, else 0."""
    e = year - adoption_year
    return np.where(e >= 0, p.join_step * np.minimum(e + 1, p.join_cap), 0.0)


def _concat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _flat_pool(pools: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-firm product pools as one flat array with each firm's start and size."""
    keys = np.array(sorted(pools), np.int64)
    sizes = np.array([len(pools[int(k)]) for k in keys], np.int64)
    flat = _concat([pools[int(k)] for k in keys], np.int64)
    n = int(keys.max()) + 1 if len(keys) else 0
    start = np.zeros(n, np.int64)
    size = np.zeros(n, np.int64)
    start[keys] = np.cumsum(sizes) - sizes
    size[keys] = sizes
    return flat, start, size


@dataclass
class ExportBook:
    """The export lines of every firm, carried from year to year."""

    portfolios: dict[int, np.ndarray]
    partner_weight: np.ndarray
    partner_codes: np.ndarray
    environmental: np.ndarray  # bool per product row
    wider: dict[int, np.ndarray]  # products of the firm's CIC2 outside its portfolio
    p: ResiliencePlanted = RESILIENCE
    out: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # stopped exporters
    sales_prev: np.ndarray = field(default_factory=lambda: np.zeros(0))  # sales of t − 1
    firm: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prod: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    partner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    u: np.ndarray = field(default_factory=lambda: np.zeros(0))
    d: np.ndarray = field(default_factory=lambda: np.zeros(0))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def step(
        self,
        rng: np.random.Generator,
        year: int,
        world: WorldDemand,
        exporters: np.ndarray,
        target: np.ndarray,
        member: np.ndarray,
        member_prev: np.ndarray,
        core: np.ndarray,
        sales_fell: np.ndarray,
    ) -> pd.DataFrame:
        """The lines of ``year``. ``exporters`` are the active exporting firms; ``target``,
        ``member``, ``member_prev`` (member at t − 1), ``core`` (in its city's densest
        county) and ``sales_fell`` (sales below those of t − 1) are per firm index. Returns
        firm, hs6_row, partner_idx, D, u, new."""
        p = self.p
        dlog = world.dlog(year)
        alive = np.isin(self.firm, exporters)
        firm, prod, partner = self.firm[alive], self.prod[alive], self.partner[alive]
        u, d, value = self.u[alive], self.d[alive], self.value[alive]
        change = dlog[partner, prod] - world.trend[partner]
        # 1. stop: value-weighted demand change of last year's lines
        n_f = len(member)
        w_sum = np.bincount(firm, weights=value, minlength=n_f)
        w_chg = np.bincount(firm, weights=value * dlog[partner, prod], minlength=n_f)
        hit = np.divide(w_chg, w_sum, out=np.zeros(n_f), where=w_sum > 0) < -0.15
        p_stop = p.stop_base + hit * (p.stop_collapse - p.stop_member_relief * member)
        if len(self.out) != n_f:
            self.out = np.zeros(n_f, bool)
        draw = rng.random(len(exporters))
        was_out = self.out[exporters]
        stopped = np.zeros(n_f, bool)
        stopped[exporters] = np.where(was_out, draw >= p.restart, draw < p_stop[exporters])
        self.out[:] = stopped
        # 2. deaths
        shrinking = change < (change.mean() if len(change) else 0.0) - 0.10
        hazard = p.death_base + shrinking * (
            p.exit_shrinking_member * member[firm] + p.retrench_shrinking * sales_fell[firm]
        )
        keep = (rng.random(len(firm)) >= hazard) & ~stopped[firm]
        firm, prod, partner, u, d, change = (a[keep] for a in (firm, prod, partner, u, d, change))
        # 3. demand state
        m_prev = member_prev[firm]
        e = np.where(change < 0, change * (1 - p.loss_damping_member * m_prev), change)
        d = d + e + p.recovery_speed_member * m_prev * np.maximum(0.0, -d)
        if year - 1 in COLLAPSE_YEARS:
            d = d + p.rebound_member * m_prev
        if year == GREEN_YEAR:
            green = np.isin(self.partner_codes[partner], GREEN_DESTINATIONS)
            green &= ~self.environmental[prod]
            d = d - green * p.green_loss * (1 - p.green_relief_member * member[firm])
        if year == 2009:
            d = d - p.congestion_loss * core[firm] * (1 - member[firm])
        # 4. births
        n_now = np.bincount(firm, minlength=n_f)
        rate = p.death_base * target * (1 + p.birth_boost_member * member)
        rate = rate + (0.5 + 0.5 * member) * np.maximum(0.0, target - n_now)
        fresh = np.zeros(n_f, bool)
        fresh[exporters] = True
        fresh &= (n_now == 0) & ~stopped
        lam = np.where(fresh, np.maximum(target - 1, 0), rate)
        count = np.zeros(n_f, np.int64)
        can = exporters[~stopped[exporters]]
        count[can] = rng.poisson(lam[can]) + fresh[can]
        new_firm = np.repeat(np.arange(n_f), count)
        new_prod = self._products(rng, new_firm, member)
        new_partner = self._partners(rng, new_firm, member, world.destination_growth(year))
        firm = np.concatenate([firm, new_firm])
        prod = np.concatenate([prod, new_prod])
        partner = np.concatenate([partner, new_partner])
        u = np.concatenate([u, rng.normal(0, 0.2, len(new_firm))])
        d = np.concatenate([d, p.new_line_premium_member * member[new_firm]])
        new = np.concatenate([np.zeros(len(keep.nonzero()[0]), bool), np.ones(len(new_firm), bool)])
        lines = pd.DataFrame(
            {"firm": firm, "hs6_row": prod, "partner_idx": partner, "D": d, "u": u, "new": new}
        )
        lines = lines.drop_duplicates(["firm", "hs6_row", "partner_idx"], keep="first")
        lines = lines.sort_values(["firm", "hs6_row", "partner_idx"], kind="stable")
        return lines.reset_index(drop=True)

    def remember(self, lines: pd.DataFrame, value: np.ndarray) -> None:
        """Keep ``lines`` (as returned by :meth:`step`) and their realised values for t + 1."""
        self.firm = lines["firm"].to_numpy(np.int64)
        self.prod = lines["hs6_row"].to_numpy(np.int64)
        self.partner = lines["partner_idx"].to_numpy(np.int64)
        self.u = lines["u"].to_numpy(float)
        self.d = lines["D"].to_numpy(float)
        self.value = np.asarray(value, float)

    def _products(
        self, rng: np.random.Generator, firms: np.ndarray, member: np.ndarray
    ) -> np.ndarray:
        """A product for each new line: uniformly from the firm's portfolio, or, for a
        member with probability ``new_product_member``, from the products of its CIC2 outside
        its portfolio (a new product: upgrading, M1)."""
        if not hasattr(self, "_pools"):
            self._pools = [_flat_pool(self.portfolios), _flat_pool(self.wider)]
        wide = rng.random(len(firms)) < self.p.new_product_member * member[firms]
        wide &= self._pools[1][2][firms] > 0  # a firm with no product outside stays inside
        out = np.zeros(len(firms), np.int64)
        for mask, (flat, start, size) in zip((~wide, wide), self._pools, strict=True):
            at = np.flatnonzero(mask)
            f = firms[at]
            out[at] = flat[start[f] + np.floor(rng.random(len(f)) * size[f]).astype(np.int64)]
        return out

    def _partners(
        self, rng: np.random.Generator, firms: np.ndarray, member: np.ndarray, z: np.ndarray
    ) -> np.ndarray:
        p = self.p
        codes = self.partner_codes
        tilt = (
            p.growth_tilt_member * z
            + p.emerging_tilt_member * np.isin(codes, EMERGING)
            + p.strict_tilt_member * np.isin(codes, STRICT)
        )
        out = np.zeros(len(firms), np.int64)
        for is_member in (False, True):
            at = np.flatnonzero(member[firms].astype(bool) == is_member)
            w = self.partner_weight * (np.exp(tilt) if is_member else 1.0)
            out[at] = rng.choice(len(codes), len(at), p=w / w.sum())
        return out


@dataclass
class SourceBook:
    """The intermediate-input source cells of every importing firm, year to year."""

    intermediate_rows: np.ndarray
    partner_weight: np.ndarray
    partner_codes: np.ndarray
    p: ResiliencePlanted = RESILIENCE
    firm: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prod: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    partner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    w: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def step(
        self, rng: np.random.Generator, year: int, importers: np.ndarray, member: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """The source cells of ``year`` for the importing firms, and per firm the share of its
        planned imports actually delivered (below 1 after an unreplaced supply shock).
        Returns (cells with firm, hs6_row, partner_idx, share, replacement) and the share."""
        p = self.p
        n_f = len(member)
        alive = np.isin(self.firm, importers)
        firm, prod, partner, w = (a[alive] for a in (self.firm, self.prod, self.partner, self.w))
        hazard = p.source_death + p.source_death_member * member[firm]
        keep = rng.random(len(firm)) >= hazard
        firm, prod, partner, w = (a[keep] for a in (firm, prod, partner, w))
        k = 3.0 * (1 + p.sources_member_boost * member)
        n_now = np.bincount(firm, minlength=n_f)
        lam = np.maximum(0.0, k - n_now) + p.source_death * k
        count = np.zeros(n_f, np.int64)
        count[importers] = rng.poisson(lam[importers]) + (n_now[importers] == 0)
        new_firm = np.repeat(np.arange(n_f), count)
        firm = np.concatenate([firm, new_firm])
        prod = np.concatenate(
            [
                prod,
                self.intermediate_rows[rng.integers(0, len(self.intermediate_rows), len(new_firm))],
            ]
        )
        partner = np.concatenate(
            [partner, rng.choice(len(self.partner_codes), len(new_firm), p=self.partner_weight)]
        )
        w = np.concatenate([w, rng.gamma(1.0, 1.0, len(new_firm))])
        cells = pd.DataFrame({"firm": firm, "hs6_row": prod, "partner_idx": partner, "w": w})
        cells = cells.groupby(["firm", "hs6_row", "partner_idx"], as_index=False)["w"].sum()
        firm = cells["firm"].to_numpy()
        w = cells["w"].to_numpy()
        shocked = [
            int(np.flatnonzero(self.partner_codes == c)[0])
            for c, y in SUPPLY_SHOCKS
            if y == year and c in self.partner_codes
        ]
        after = [c for c, y in SUPPLY_SHOCKS if y == year - 1 and c in self.partner_codes]
        hit = np.isin(cells["partner_idx"].to_numpy(), shocked)
        lagged = np.isin(
            cells["partner_idx"].to_numpy(),
            [int(np.flatnonzero(self.partner_codes == c)[0]) for c in after],
        )
        factor = np.where(hit, 1 - p.supply_loss, np.where(lagged, 1 - p.supply_loss / 2, 1.0))
        denominator = np.bincount(firm, weights=w, minlength=n_f)
        delivered = w * factor
        # replacement of hit cells: same product from another, unshocked country
        replaced = hit & (
            rng.random(len(w)) < np.where(member[firm] > 0, p.replace_member, p.replace_nonmember)
        )
        others = np.setdiff1d(np.arange(len(self.partner_codes)), shocked)
        other_w = self.partner_weight[others] / self.partner_weight[others].sum()
        repl = pd.DataFrame(
            {
                "firm": firm[replaced],
                "hs6_row": cells["hs6_row"].to_numpy()[replaced],
                "partner_idx": others[rng.choice(len(others), int(replaced.sum()), p=other_w)],
                "w": w[replaced] * p.supply_loss,
            }
        )
        out = pd.concat(
            [cells.assign(delivered=delivered, replacement=False),
             repl.assign(delivered=repl["w"], replacement=True)],
            ignore_index=True,
        )  # fmt: skip
        # the replacement cells join the book with their weight; the shocked ones keep theirs
        book = out.groupby(["firm", "hs6_row", "partner_idx"], as_index=False).agg(
            w=("w", "sum"), delivered=("delivered", "sum"), replacement=("replacement", "max")
        )
        self.firm = book["firm"].to_numpy(np.int64)
        self.prod = book["hs6_row"].to_numpy(np.int64)
        self.partner = book["partner_idx"].to_numpy(np.int64)
        self.w = book["w"].to_numpy(float)
        share_firm = np.divide(
            np.bincount(book["firm"], weights=book["delivered"], minlength=n_f),
            denominator,
            out=np.ones(n_f),
            where=denominator > 0,
        )
        book["share"] = book["delivered"].to_numpy() / np.maximum(
            denominator[book["firm"].to_numpy()], 1e-300
        )
        return book[["firm", "hs6_row", "partner_idx", "share", "replacement"]], share_firm


@dataclass
class ResilienceState:
    """What the firm economy carries from one year to the next for paper 003: the two books,
    world demand, each firm's county (row of ``counties``) and the latent records the truth
    reads (export lines and import cells with their values, by year)."""

    seed: int
    world: WorldDemand
    exports: ExportBook
    sources: SourceBook
    counties: pd.DataFrame
    county: np.ndarray
    cie_levels: pd.DataFrame
    smart_rows: np.ndarray
    export_history: list[pd.DataFrame] = field(default_factory=list)
    import_history: list[pd.DataFrame] = field(default_factory=list)

    def core(self) -> np.ndarray:
        """1.0 for firms located in their city's core county (rank 1), per firm."""
        return (self.counties["rank"].to_numpy()[self.county] == 1).astype(float)
