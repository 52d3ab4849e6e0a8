"""Typed diagnostics of a fit: the named fields every estimator reports, plus its own extras.

``Result.diagnostics`` used to be a free-form dict, so a typo in a key (``"kp_lm"`` for
``"kp_rk_lm"``) went unnoticed and nothing said which statistics an estimator reports. A
:class:`Diagnostics` has one typed attribute per statistic that more than one estimator or a
table layout uses (timing, residual sum of squares, small-sample conventions, dropped collinear
terms, the weak-identification tests of IV, the LR tests of likelihood models); statistics
specific to one estimator (the kernel of FM-OLS, the matching options of PSM) live in
``other``, with the estimator's docstring naming them.

It is also a mapping, ``diagnostics["kp_rk_lm"]`` and ``diagnostics.get(...)``, because journal
tables pick diagnostics by name (``regression_table(..., diagnostics=["kp_rk_lm"])``). A field
left at ``None`` was not reported: it is absent from the mapping view, so ``"rss" in d`` says
whether the estimator computed it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Diagnostics"]


@dataclass(eq=False)
class Diagnostics(MutableMapping[str, Any]):
    """What a fit reports beyond its coefficients.

    Parameters
    ----------
    seconds : float, optional
        Wall time of the fit.
    rss : float, optional
        Residual sum of squares (weighted when the fit is).
    small_sample : dict, optional
        The small-sample convention used: K, absorbed degrees of freedom, the scale factors
        (``ssc`` of fixest / reghdfe), see ``vagg.estimate.linear.fixed_effects``.
    collinear_dropped : list of str, optional
        Terms dropped as collinear, in order.
    collinear_reasons : dict, optional
        Term → why it was dropped (collinear with which fixed effect or terms).
    absorbed_rank_exact : int, optional
        The exact rank of the absorbed fixed effects when it was computed.
    sample_note, ssc_note : str, optional
        Notes on the estimation sample and on a small-sample convention that differs from the
        reference's.
    first_stage : mapping, optional
        IV: per endogenous regressor, its first-stage coefficients, F, partial R² and
        Sanderson–Windmeijer F.
    kp_rk_lm, kp_rk_wald : HypothesisTest, optional
        IV: Kleibergen–Paap rk LM (under-identification) and Wald tests.
    kp_rk_wald_f, cragg_donald_f : float, optional
        IV: Kleibergen–Paap Wald F and Cragg–Donald Wald F (weak identification).
    stock_yogo : mapping, optional
        IV: Stock–Yogo critical values for the model's numbers of endogenous regressors and
        instruments.
    anderson_rubin : HypothesisTest, optional
        IV: Anderson–Rubin test of the endogenous coefficients (robust to weak instruments).
    lr_ols, lr_slx : HypothesisTest, optional
        Likelihood models: LR tests against OLS and against the SLX model.
    other : dict
        Diagnostics specific to one estimator, by name.
    """

    seconds: float | None = None
    rss: float | None = None
    small_sample: dict[str, Any] | None = None
    collinear_dropped: list[str] | None = None
    collinear_reasons: dict[str, str] | None = None
    absorbed_rank_exact: int | None = None
    sample_note: str | None = None
    ssc_note: str | None = None
    first_stage: Any = None
    kp_rk_lm: Any = None
    kp_rk_wald: Any = None
    kp_rk_wald_f: Any = None
    cragg_donald_f: Any = None
    stock_yogo: Any = None
    anderson_rubin: Any = None
    lr_ols: Any = None
    lr_slx: Any = None
    other: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, values: Mapping[str, Any] | None = None, /, **more: Any) -> Diagnostics:
        """Diagnostics from a mapping (and keywords): known names fill the typed fields, the
        rest go to ``other``."""
        out = cls()
        out.update(values or {}, **more)
        return out

    # -- the mapping view: typed fields that are set, then ``other`` -------------------
    def __getitem__(self, key: str) -> Any:
        if key in _TYPED:
            value = getattr(self, key)
            if value is None:
                raise KeyError(key)
            return value
        return self.other[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key in _TYPED:
            setattr(self, key, value)
        else:
            self.other[key] = value

    def __delitem__(self, key: str) -> None:
        if key in _TYPED:
            if getattr(self, key) is None:
                raise KeyError(key)
            setattr(self, key, None)
        else:
            del self.other[key]

    def __iter__(self) -> Iterator[str]:
        yield from (name for name in _TYPED if getattr(self, name) is not None)
        yield from self.other

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"Diagnostics({dict(self.items())!r})"


_TYPED: tuple[str, ...] = tuple(f.name for f in fields(Diagnostics) if f.name != "other")
