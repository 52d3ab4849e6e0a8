"""Build the synthetic economy, or some of its parts, and write it as a dataset folder.

``generate(scale, seed, out, parts=...)`` draws the primitives each asked part needs
(:mod:`vagg.data.synth.parts`; shared inputs from :mod:`vagg.data.synth.core`), derives its
raw tables from them (the firm economy one year at a time, so ``paper`` scale streams customs
to disk year by year), validates each table against its schema, and writes ``manifest.json``
(version, seed, scale, parts, row counts, file hashes, timings) and ``truth.json`` (planted
effects with their definitions) through :mod:`vagg.data.synth.assembly`.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from vagg.data.io import write_partition, write_table
from vagg.data.schemas import SCHEMAS, validate
from vagg.data.synth import cities as city_gen
from vagg.data.synth import identities
from vagg.data.synth.assembly import PartOutput, assemble, matching_manifest
from vagg.data.synth.cie_accounts import firm_levels
from vagg.data.synth.city_trade_writer import write_quality_cities
from vagg.data.synth.config import (
    FIRST_YEAR,
    LAST_CIE_YEAR,
    LAST_YEAR,
    get_scale,
    stream,
)
from vagg.data.synth.core import LISTED_CODES, SharedInputs, write_frames
from vagg.data.synth.counties import assign_counties, make_counties
from vagg.data.synth.firms import FirmUniverse, make_firms
from vagg.data.synth.io_tables import digital_exposure, io_weights
from vagg.data.synth.parts import PARTS, resolve_parts
from vagg.data.synth.relations import ExportBook, ResilienceState, SourceBook
from vagg.data.synth.trade import YearContext, generate_year
from vagg.data.synth.truth import Planted
from vagg.data.synth.truth_estimands import CONTROL_INPUTS, build_truth
from vagg.data.synth.truth_resilience import resilience_truth
from vagg.data.synth.world import green_standards_table, make_world_demand, supply_shocks_table

__all__ = [
    "PARTNERS",
    "generate",
]

#: export/import partners (ISO alpha-3) with trade weights and demand growth
PARTNERS = {
    "USA": 18,
    "HKG": 14,
    "JPN": 9,
    "KOR": 5,
    "DEU": 5,
    "NLD": 3,
    "GBR": 3,
    "SGP": 2.5,
    "TWN": 2.5,
    "RUS": 2,
    "IND": 2,
    "AUS": 2,
    "CAN": 2,
    "FRA": 2,
    "ITA": 2,
    "MYS": 1.8,
    "VNM": 1.8,
    "THA": 1.5,
    "IDN": 1.5,
    "BRA": 1.5,
    "ARE": 1.5,
    "MEX": 1.2,
    "ESP": 1.2,
    "BEL": 1,
    "PHL": 1,
    "SAU": 1,
    "TUR": 1,
    "POL": 0.8,
    "ZAF": 0.8,
    "CHL": 0.6,
    "IRN": 0.6,
    "NGA": 0.6,
    "EGY": 0.5,
    "PAK": 0.5,
    "SWE": 0.5,
    "CHE": 0.5,
    "ARG": 0.4,
    "BGD": 0.4,
    "KAZ": 0.4,
    "NZL": 0.3,
}

Progress = Callable[[str, float], None]


def _noop(_: str, __: float) -> None:
    return None


def generate(
    scale: str,
    seed: int,
    out: str | Path,
    *,
    parts: Iterable[str] | str | None = None,
    reference_dir: str | Path | None = None,
    progress: Progress = _noop,
) -> dict:
    """Generate the synthetic economy at ``scale`` with ``seed`` into folder ``out``.

    ``parts`` names the parts to generate (:mod:`vagg.data.synth.parts`; None: all of them);
    the parts they require are generated with them. When ``out`` already holds parts of the
    same economy (same version, scale, seed and reference files), those not asked for are
    kept and the manifest lists both. Returns the manifest (also written to
    ``out/manifest.json``). The same seed, scale and reference files give byte-identical
    files, whichever parts are generated together.
    """
    cfg = get_scale(scale)
    wanted = resolve_parts(parts)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ref = Path(reference_dir) if reference_dir is not None else None
    kept = matching_manifest(out, scale, seed, ref)
    if kept is not None:  # what is asked is (re)generated, what it requires only if missing
        asked = resolve_parts(parts, closure=False)
        wanted = tuple(p for p in wanted if p in asked or p not in kept["parts"])
    if kept is not None and set(wanted) & set(kept["parts"]):
        # parts about to be rewritten leave the manifest first: it lists complete parts only
        kept["parts"] = {p: r for p, r in kept["parts"].items() if p not in wanted}
        kept = assemble(out, scale=scale, seed=seed, reference_dir=ref, kept=kept, outputs={})
    inputs = SharedInputs(cfg, seed, ref)
    outputs: dict[str, PartOutput] = {}
    total = sum(PARTS[p].cost for p in wanted)
    for part in wanted:
        start = time.perf_counter()
        before = sum(PARTS[p].cost for p in outputs) / total

        def report(stage: str, done: float, part: str = part, before: float = before) -> None:
            progress(f"{part}: {stage}", before + done * PARTS[part].cost / total)

        progress(part, before)
        output = _PART_WRITERS[part](out, inputs, scale, report)
        output.seconds = time.perf_counter() - start
        outputs[part] = output
    manifest = assemble(out, scale=scale, seed=seed, reference_dir=ref, kept=kept, outputs=outputs)
    progress("done", 1.0)
    return manifest


def _core_part(out: Path, inputs: SharedInputs, scale: str, progress: Progress) -> PartOutput:
    """Part ``core``: the classifications and reference tables."""
    return PartOutput(write_frames(out, inputs.core_tables()))


def _province_part(out: Path, inputs: SharedInputs, scale: str, progress: Progress) -> PartOutput:
    """Part ``provinces``: the province economy of papers 002 and 004 and its truth."""
    tables, truth = inputs.province_economy
    return PartOutput(write_frames(out, dict(tables)), {"entries": truth})


def _city_part(out: Path, inputs: SharedInputs, scale: str, progress: Progress) -> PartOutput:
    """Part ``cities``: the paper-001 tables under ``quality_cities/`` and their truth."""
    folder = out / "quality_cities"
    shutil.rmtree(folder, ignore_errors=True)  # the part owns the folder: no stale files
    entries = write_quality_cities(out, scale, inputs.seed)
    files = {f"quality_cities/{p.stem}": [p] for p in sorted(folder.glob("*.parquet"))}
    return PartOutput(files, {"entries": entries})


def _firm_part(out: Path, inputs: SharedInputs, scale: str, progress: Progress) -> PartOutput:
    """Part ``firms``: the firm universe, cities, platform, customs and CIE years, with the
    latent truth files and the truth of paper 000."""
    cfg, seed = inputs.cfg, inputs.seed
    planted = Planted()
    provinces, industries, products = inputs.provinces, inputs.industries, inputs.products
    io_national, io_totals = inputs.io_tables
    cities = city_gen.make_cities(stream(seed, "cities"), provinces, cfg)
    virtual = digital_exposure(inputs.icio)
    national = inputs.province_economy[0]["national_series"].to_pandas().set_index("year")
    progress("reference tables", 0.05)

    universe = make_firms(stream(seed, "firms"), cfg, cities, provinces, industries, products)
    firms = universe.firms
    panel = universe.panel.merge(firms[["firm", "city_idx"]], on="firm")
    census = city_gen.make_census_2004(panel[panel["year"] == 2004], cities, industries)
    exposure = city_gen.city_exposure(census, industries, virtual, cities)
    city_panel = city_gen.make_city_panel(stream(seed, "city_panel"), cities, exposure, planted)
    texts = city_gen.make_texts(stream(seed, "texts"), cities, exposure)
    progress("firm universe", 0.15)

    files = write_frames(
        out, {"cities": cities, "census_2004": census, "city_panel": city_panel, "texts": texts}
    )
    ids = identities.customs_identity(stream(seed, "customs_ids"), firms, cities)
    zips, phones = identities.contact_details(
        stream(seed, "contacts"), firms["city_idx"].to_numpy(), cities
    )
    firms = firms.assign(zip=zips, phone=phones).merge(ids, on="firm")
    universe.firms = firms
    city_w = np.bincount(firms["city_idx"], minlength=len(cities)) + 1.0
    intermediaries = identities.make_intermediaries(
        stream(seed, "intermediaries"), cfg.intermediaries, cities, city_w
    )
    platform = identities.platform_members(
        stream(seed, "platform"),
        firms,
        industries,
        provinces,
        cities,
        cfg.platform_outsiders,
        LAST_YEAR,
    )
    files["platform"] = write_table(
        validate(platform.drop(columns="firm"), SCHEMAS["platform"]),
        out / "platform.parquet",
        "platform",
    )
    files["truth_links"] = [_write_truth_links(out, firms, platform)]

    sector_codes = sorted(io_totals["sector"].unique())
    sector_pos = {c: i for i, c in enumerate(sector_codes)}
    sector_of_industry = industries["io_sector"].map(sector_pos).to_numpy()
    partner_codes = np.array(list(PARTNERS))
    partner_w = np.array(list(PARTNERS.values()), float)
    partner_w /= partner_w.sum()
    rng_d = stream(seed, "partners")
    partner_growth = rng_d.normal(0.10, 0.04, len(partner_codes))
    exposure_wide = exposure.pivot(index="city_code", columns="year", values="vagg").loc[
        cities["city_code"]
    ]

    book = _resilience_state(seed, universe, products, industries, cities, partner_codes, partner_w)
    files.update(
        write_frames(
            out,
            {
                "counties": book.counties.drop(columns="rank"),
                "world_imports": book.world.table(),
                "supply_shocks": supply_shocks_table(),
                "green_standards": green_standards_table(),
            },
        )
    )

    latent_parts, agg_parts, control_parts = [], [], []
    files["customs"], files["firms"] = [], []
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    for i, year in enumerate(years):
        w_in, w_out = io_weights(io_national, year)
        w_in = w_in.reindex(index=sector_codes, columns=sector_codes).fillna(0.0).to_numpy()
        w_out = w_out.reindex(index=sector_codes, columns=sector_codes).fillna(0.0).to_numpy()
        bench = io_totals[io_totals["year"] == _benchmark(io_totals, year)].set_index("sector")
        bench = bench.reindex(sector_codes)
        mu = bench["imports"] / (bench["output"] + bench["imports"] - bench["exports"])
        delta = w_in @ mu.to_numpy()
        demand = partner_growth * (year - FIRST_YEAR) + (-0.25 if year == 2009 else 0.0)
        ctx = YearContext(
            year=year,
            rmb_per_usd=float(national.loc[year, "rmb_per_usd"]),
            w_in=w_in,
            w_out=w_out,
            delta=delta,
            sector_of_industry=sector_of_industry,
            city_vagg=exposure_wide[year].to_numpy(),
            partner_codes=partner_codes,
            partner_weight=partner_w,
            partner_demand=demand,
            state=book,
        )
        drawn = generate_year(
            stream(seed, f"year{year}"), universe, products, intermediaries, ctx, planted
        )
        customs = _customs_frame(
            drawn, firms, intermediaries, products, cities, partner_codes, year
        )
        files["customs"].append(
            write_partition(
                validate(customs, SCHEMAS["customs"]), out / "customs", SCHEMAS["customs"], year
            )
        )
        if year <= LAST_CIE_YEAR:
            cie = _cie_frame(drawn["cie"], firms, industries, cities)
            files["firms"].append(
                write_partition(
                    validate(cie, SCHEMAS["firms"]), out / "firms", SCHEMAS["firms"], year
                )
            )
            latent_parts.append(drawn["latent"])
            control_parts.append(drawn["cie"][CONTROL_INPUTS])
        agg_parts.append(drawn["agg_h"])
        progress(f"year {year}", 0.15 + 0.8 * (i + 1) / len(years))

    latent = pd.concat(latent_parts, ignore_index=True)
    controls = pd.concat(control_parts, ignore_index=True)
    files["truth_firms"] = [_write_truth_firms(out, firms, latent)]
    truth = build_truth(planted, latent, controls, firms, industries, {})
    extra = resilience_truth(latent, controls, firms, industries, cities, products, book)
    truth["planted_resilience"] = extra["planted_resilience"]
    truth["entries"].update(extra["entries"])
    return PartOutput(files, truth)


def _resilience_state(
    seed: int,
    universe: FirmUniverse,
    products: pd.DataFrame,
    industries: pd.DataFrame,
    cities: pd.DataFrame,
    partner_codes: np.ndarray,
    partner_w: np.ndarray,
) -> ResilienceState:
    """The year-to-year state of paper 003: world demand, the export and source books, the
    counties and each firm's county, the CIE cost levels and the intelligent-equipment rows."""
    firms = universe.firms
    hs6 = products["hs6"].to_numpy()
    world = make_world_demand(
        stream(seed, "world_demand"),
        partner_codes,
        partner_w,
        hs6,
        np.arange(FIRST_YEAR, LAST_YEAR + 1),
    )
    counties = make_counties(stream(seed, "counties"), cities)
    county = assign_counties(
        stream(seed, "county_of_firm"), firms["city_idx"].to_numpy(), counties, cities
    )
    listed = {c for c, use in LISTED_CODES.items() if use == "capital"}
    return ResilienceState(
        seed=seed,
        world=world,
        exports=ExportBook(
            universe.portfolios,
            partner_w,
            partner_codes,
            np.isin(hs6, ["840290"]),
            _wider_pools(universe.portfolios, firms, industries, products),
        ),
        sources=SourceBook(
            np.flatnonzero(products["end_use"].to_numpy() == "intermediate"),
            partner_w,
            partner_codes,
        ),
        counties=counties,
        county=county,
        cie_levels=firm_levels(stream(seed, "cie_accounts"), len(firms)),
        smart_rows=np.flatnonzero(np.isin(hs6, sorted(listed))),
    )


def _wider_pools(
    portfolios: dict[int, np.ndarray],
    firms: pd.DataFrame,
    industries: pd.DataFrame,
    products: pd.DataFrame,
) -> dict[int, np.ndarray]:
    """For each exporter, the HS6 products of its CIC2 group outside its portfolio."""
    by_cic2 = products.groupby(products["cic4"].str[:2]).indices
    cic2 = industries["cic2"].to_numpy()[firms["ind_idx"].to_numpy()]
    return {
        f: np.setdiff1d(by_cic2.get(cic2[f], np.zeros(0, np.int64)), pf)
        for f, pf in portfolios.items()
    }


_PART_WRITERS: dict[str, Callable[[Path, SharedInputs, str, Progress], PartOutput]] = {
    "core": _core_part,
    "firms": _firm_part,
    "provinces": _province_part,
    "cities": _city_part,
}


def _write_truth_links(out: Path, firms: pd.DataFrame, platform: pd.DataFrame) -> Path:
    """The true identities behind the records (synthetic data only, for linkage quality):
    each firm's legal id, its customs code and, for platform members, its listed name."""
    listed = platform.dropna(subset=["firm"]).astype({"firm": np.int64})
    links = firms[["firm", "firm_id", "party_id"]].merge(
        listed[["firm", "member_name"]], on="firm", how="left"
    )
    path = out / "truth_links.parquet"
    pl.from_pandas(links.drop(columns="firm").sort_values("firm_id")).write_parquet(
        path, statistics=False
    )
    return path


def _write_truth_firms(out: Path, firms: pd.DataFrame, latent: pd.DataFrame) -> Path:
    """The latent quantities of the CIE firm-years (synthetic data only, for validating the
    production function and the markups): true productivity ω, true log markup and true
    export DVAR. No measure reads this file."""
    rows = latent[latent["in_cie"]]
    frame = pd.DataFrame(
        {
            "firm_id": firms["firm_id"].to_numpy()[rows["firm"].to_numpy()],
            "year": rows["year"].to_numpy().astype(np.int64),
            "omega": rows["omega"].to_numpy(),
            "log_markup": rows["log_markup"].to_numpy(),
            "dvar": np.where(rows["exporter_cie"], rows["dvar_latent"], np.nan),
        }
    ).sort_values(["firm_id", "year"])
    path = out / "truth_firms.parquet"
    pl.from_pandas(frame.reset_index(drop=True)).write_parquet(path, statistics=False)
    return path


def _benchmark(io_totals: pd.DataFrame, year: int) -> int:
    years = sorted(io_totals["year"].unique())
    return max([y for y in years if y <= year], default=years[0])


def _customs_frame(
    parts: dict[str, pd.DataFrame],
    firms: pd.DataFrame,
    intermediaries: pd.DataFrame,
    products: pd.DataFrame,
    cities: pd.DataFrame,
    partner_codes: np.ndarray,
    year: int,
) -> pl.DataFrame:
    """Customs rows of one year: producers' exports and imports, and intermediaries' trade."""
    f = firms.set_index("firm")
    prices = np.exp(products["price_level"].to_numpy())
    frames = []
    for flow, lines in (("export", parts["exports"]), ("import", parts["imports"])):
        if len(lines) == 0:
            continue
        firm = lines["firm"].to_numpy().astype(np.int64)
        prod = lines["hs6_row"].to_numpy().astype(np.int64)
        qty = lines["quantity"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "party_id": f["party_id"].to_numpy()[firm],
                    "firm_name": f["customs_name"].to_numpy()[firm],
                    "flow": flow,
                    "regime": lines["regime"].to_numpy(),
                    "hs8": products["hs8"].to_numpy()[prod],
                    "partner": partner_codes[lines["partner_idx"].to_numpy().astype(np.int64)],
                    "quantity": qty,
                    "unit": products["unit"].to_numpy()[prod],
                    "value_usd": lines["value_usd"].to_numpy(),
                    "city_code": cities["city_code"].to_numpy()[
                        lines["city_idx"].to_numpy().astype(np.int64)
                    ],
                    "zip": f["zip"].to_numpy()[firm],
                    "phone": identities.customs_phone(
                        f["phone"].to_numpy()[firm], f["phone_upgrade"].to_numpy()[firm], year
                    ),
                }
            )
        )
    inter = parts["intermediary"]
    if len(inter):
        k = inter["intermediary"].to_numpy()
        prod = inter["hs6_row"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "party_id": intermediaries["party_id"].to_numpy()[k],
                    "firm_name": intermediaries["firm_name"].to_numpy()[k],
                    "flow": inter["flow"].to_numpy(),
                    "regime": inter["regime"].to_numpy(),
                    "hs8": products["hs8"].to_numpy()[prod],
                    "partner": partner_codes[inter["partner_idx"].to_numpy()],
                    "quantity": inter["value_usd"].to_numpy() / prices[prod],
                    "unit": products["unit"].to_numpy()[prod],
                    "value_usd": inter["value_usd"].to_numpy(),
                    "city_code": cities["city_code"].to_numpy()[inter["city_idx"].to_numpy()],
                    "zip": intermediaries["zip"].to_numpy()[k],
                    "phone": intermediaries["phone"].to_numpy()[k],
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(2, "year", year)
    frame = frame.sort_values(["party_id", "flow", "regime", "hs8", "partner"], kind="stable")
    return pl.from_pandas(frame.reset_index(drop=True))


def _cie_frame(
    cie: pd.DataFrame, firms: pd.DataFrame, industries: pd.DataFrame, cities: pd.DataFrame
) -> pl.DataFrame:
    """CIE rows of one year with identifiers, names, codes and contact details."""
    f = firms.set_index("firm")
    firm = cie["firm"].to_numpy()
    frame = pd.DataFrame(
        {
            "firm_id": f["firm_id"].to_numpy()[firm],
            "year": cie["year"].to_numpy(),
            "firm_name": f["firm_name"].to_numpy()[firm],
            "cic4": industries["cic4"].to_numpy()[cie["ind_idx"].to_numpy()],
            "city_code": cities["city_code"].to_numpy()[f["city_idx"].to_numpy()[firm]],
            "zip": f["zip"].to_numpy()[firm],
            "phone": f["phone"].to_numpy()[firm],
            "founding_year": f["founding_year"].to_numpy()[firm],
        }
    )
    accounts = cie.drop(columns=["firm", "year", "ind_idx"]).reset_index(drop=True)
    frame = pd.concat([frame, accounts], axis=1).sort_values("firm_id", kind="stable")
    return pl.from_pandas(frame.reset_index(drop=True))
