"""A small parser and evaluator for fixest-style regression formulas.

Grammar (whitespace is free)::

    formula  := term "~" rhs [ "|" fixed_effects ] [ "|" iv ]
    iv       := term ("+" term)* "~" term ("+" term)*  endogenous ~ excluded instruments
    rhs      := ["0" | "1" "+"] product ("+" product)* [ "-" "1" | "+" "0" ]
    product  := term ("*" term)*                      a*b = a + b + a:b
    term     := factor (":" factor)*                 x1:x2 is the product x1·x2
    factor   := NAME
              | "i" "(" NAME ["," term] ["," "ref" "=" VALUE] ")"   factor dummies (× term)
              | "log" "(" factor ")"                   natural log
              | "L" "(" factor ["," INT] ")"           lag, Stata L.x / Lk.x
              | "F" "(" factor ["," INT] ")"           lead, Stata F.x / Fk.x
              | "D" "(" factor ["," INT] ")"           difference, Stata D.x / Dk.x
    fixed_effects := fe ("+" fe)*,   fe := NAME ("^" NAME)*   (a^b: one effect per pair)

Names are column names (letters, digits, ``_`` and ``.``). ``L``/``F``/``D`` need
``panel=(unit, time)`` and follow Stata's gap-aware semantics
(:mod:`vagg.estimate.linear.panel_ops`). ``i()`` terms (:class:`Indicator`) are expanded into
one column per level by the sample builder. Stepwise ``sw()``/``csw()``/``sw0()``/``csw0()``
are expanded into several formulas before parsing (:mod:`vagg.estimate.linear.stepwise`).
Anything else (``poly()``, ``C()``, ``I()``, ``%in%``, ...) is an error that lists what is
supported (:data:`SUPPORTED`).

A formula without fixed effects has an intercept unless it says ``0`` or ``- 1``; with fixed
effects the intercept is absorbed. The instrumental-variables part is fixest's and pyfixest's:
``y ~ exog | fe1 + fe2 | endog ~ instruments`` or, without fixed effects,
``y ~ exog | endog ~ instruments`` (a part holding ``~`` is the IV part); its terms may use
the same functions. :func:`vagg.estimate.feols` refuses it, :func:`vagg.estimate.iv` needs it.

Why not formulaic or pyfixest's parser: neither knows gap-aware lags (pyfixest rejects ``L.x``
and ``l(x, 1)``, see the methods notes), and the sample accounting needs to know *why* each row
is unusable (missing value, non-positive value inside a log, unavailable lag), which a
model-matrix builder does not report.

Term labels are canonical: ``x``, ``log(x)``, ``L(x)``, ``L(x, 2)``, ``F(x)``, ``D(x)``,
``D(x, 2)``, ``x1:x2``; they name the coefficients of a :class:`~vagg.estimate.results.Result`.

Estimators that take roles instead of a formula (``outcome=``, ``controls=``, ``fe=``) build
theirs with :func:`formula_text`, :func:`control_terms` and :func:`fe_text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from vagg.estimate.errors import EstimationError

__all__ = [
    "SUPPORTED",
    "Column",
    "Difference",
    "Indicator",
    "Interaction",
    "Log",
    "ParsedFormula",
    "Shift",
    "Term",
    "check_controls",
    "control_terms",
    "fe_text",
    "formula_text",
    "parse_formula",
    "term_columns",
    "uses",
]

_FUNCTIONS = ("log", "L", "F", "D")

#: What the grammar accepts, quoted by every "not supported" error.
SUPPORTED = (
    "supported: column names, log(x), L(x[, k]), F(x[, k]), D(x[, k]), products a:b, "
    "a*b (a + b + a:b), i(var), i(var, ref=v), i(var, x[, ref=v]), 0 or - 1 (no intercept), "
    "'| fe1 + fe2^fe3', '| endog ~ instruments', and one of sw(), csw(), sw0(), csw0()"
)


@dataclass(frozen=True)
class Column:
    """A column of the table, used as is."""

    name: str

    @property
    def label(self) -> str:
        return self.name


@dataclass(frozen=True)
class Log:
    """Natural log of a term; rows where the argument is ≤ 0 are dropped and counted."""

    arg: Term

    @property
    def label(self) -> str:
        return f"log({self.arg.label})"


@dataclass(frozen=True)
class Shift:
    """Lag (``k > 0``, ``L``) or lead (``k < 0``, ``F``) by ``|k|`` periods."""

    arg: Term
    k: int

    @property
    def label(self) -> str:
        op, n = ("L", self.k) if self.k > 0 else ("F", -self.k)
        return f"{op}({self.arg.label})" if n == 1 else f"{op}({self.arg.label}, {n})"


@dataclass(frozen=True)
class Difference:
    """``D(x) = x − L(x)``; ``D(x, 2) = D(D(x))`` (Stata's D2.x)."""

    arg: Term
    order: int

    @property
    def label(self) -> str:
        a = self.arg.label
        return f"D({a})" if self.order == 1 else f"D({a}, {self.order})"


@dataclass(frozen=True)
class Interaction:
    """Product of two or more terms (``a:b``)."""

    factors: tuple[Term, ...]

    @property
    def label(self) -> str:
        return ":".join(f.label for f in self.factors)


@dataclass(frozen=True)
class Indicator:
    """fixest's ``i(var)``: one dummy per level of ``var`` (any dtype), less a reference level;
    ``i(var, x)``: the dummies times the term ``x`` (event studies), every level kept unless
    ``ref`` is given.

    ``ref`` holds the reference level as written (``"-1"``, ``"1985"``, ``"a"``); without it,
    ``i(var)`` drops the first level (sorted) when the model has an intercept or fixed
    effects, as pyfixest does. Coefficients are named ``var::level`` and ``var::level:x``
    (fixest's and pyfixest's names).
    """

    var: str
    by: Term | None = None
    ref: str | None = None

    @property
    def label(self) -> str:
        args = [self.var] + ([self.by.label] if self.by is not None else [])
        args += [f"ref={self.ref}"] if self.ref is not None else []
        return f"i({', '.join(args)})"


Term = Column | Log | Shift | Difference | Interaction | Indicator


def term_columns(term: Term) -> list[str]:
    """Column names a term reads, in order of first appearance."""
    if isinstance(term, Column):
        return [term.name]
    if isinstance(term, Interaction):
        out: list[str] = []
        for f in term.factors:
            out += [c for c in term_columns(f) if c not in out]
        return out
    if isinstance(term, Indicator):
        by = [] if term.by is None else term_columns(term.by)
        return [term.var, *(c for c in by if c != term.var)]
    return term_columns(term.arg)


def uses(term: Term, kind: type) -> bool:
    """Whether ``term`` contains a node of type ``kind`` (e.g. :class:`Log`, :class:`Shift`)."""
    if isinstance(term, kind):
        return True
    if isinstance(term, Column):
        return False
    if isinstance(term, Interaction):
        return any(uses(f, kind) for f in term.factors)
    if isinstance(term, Indicator):
        return term.by is not None and uses(term.by, kind)
    return uses(term.arg, kind)


@dataclass(frozen=True)
class ParsedFormula:
    """A parsed formula: dependent variable, regressors, intercept flag and fixed effects.

    ``fixed_effects`` holds one tuple of column names per effect (``("a", "b")`` for ``a^b``).
    """

    text: str
    depvar: Term
    regressors: tuple[Term, ...]
    intercept: bool
    fixed_effects: tuple[tuple[str, ...], ...]
    endog: tuple[Term, ...] = ()
    instruments: tuple[Term, ...] = ()

    @property
    def fe_labels(self) -> tuple[str, ...]:
        """Labels of the fixed effects (``"a^b"`` for an interacted effect)."""
        return tuple("^".join(fe) for fe in self.fixed_effects)

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every evaluated term: dependent, exogenous, endogenous, excluded instruments."""
        return (self.depvar, *self.regressors, *self.endog, *self.instruments)

    def columns(self) -> list[str]:
        """Every column the formula reads (variables of every term, then fixed effects)."""
        out: list[str] = []
        for term in self.terms:
            out += [c for c in term_columns(term) if c not in out]
        for fe in self.fixed_effects:
            out += [c for c in fe if c not in out]
        return out

    def needs_panel(self) -> bool:
        """Whether a term lags, leads or differences (``panel=`` is then required)."""
        return any(uses(t, Shift) or uses(t, Difference) for t in self.terms)

    def uses_log(self) -> bool:
        """Whether a term takes a log (rows with a non-positive argument are then counted)."""
        return any(uses(t, Log) for t in self.terms)


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_.]*)"
    r"|(?P<str>\"[^\"]*\"|'[^']*')|(?P<op>[()+,:^~|*=-]))"
)


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise EstimationError(
                f"formula {text!r}: cannot read {text[pos:].strip()[:20]!r} at character {pos}; "
                f"{SUPPORTED}"
            )
        tokens.append(m.group("num") or m.group("name") or m.group("str") or m.group("op"))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def error(self, what: str) -> EstimationError:
        near = " ".join(self.tokens[self.i : self.i + 3]) or "end of formula"
        return EstimationError(f"formula {self.text!r}: {what} (near {near!r})")

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise self.error(f"expected {expected!r}" if expected else "unexpected end")
        self.i += 1
        return tok

    def indicator(self) -> Indicator:
        """``i(var[, x][, ref=value])`` after the ``i``."""
        self.take("(")
        var = self.take()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", var):
            raise self.error(f"i() needs a column name first, got {var!r}")
        by: Term | None = None
        ref: str | None = None
        while self.peek() == ",":
            self.take(",")
            if self.tokens[self.i + 1 : self.i + 2] == ["="]:
                key = self.take()
                self.take("=")
                if key != "ref":
                    raise self.error(
                        f"i() argument {key}= is not supported (only ref=); {SUPPORTED}"
                    )
                sign = self.take() if self.peek() == "-" else ""
                ref = sign + self.take().strip("\"'")
            elif by is None and ref is None:
                by = self.term()
                if uses(by, Indicator):
                    raise self.error("i() cannot be nested")
            else:
                raise self.error("i() takes i(var), i(var, x) and ref=")
        self.take(")")
        return Indicator(var, by, ref)

    def factor(self) -> Term:
        tok = self.take()
        if tok == "i" and self.peek() == "(":
            return self.indicator()
        if tok in ("sw", "csw", "sw0", "csw0") and self.peek() == "(":
            raise self.error(f"{tok}() may appear once, on the right-hand side; {SUPPORTED}")
        if tok not in _FUNCTIONS and self.peek() == "(":
            raise self.error(f"function {tok}() is not supported; {SUPPORTED}")
        if tok in _FUNCTIONS and self.peek() == "(":
            self.take("(")
            arg = self.term()
            n = 1
            if self.peek() == ",":
                if tok == "log":
                    raise self.error("log() takes one argument")
                self.take(",")
                num = self.take()
                if not num.isdigit():
                    raise self.error(f"{tok}() needs a whole number of periods")
                n = int(num)
            self.take(")")
            if tok == "log":
                return Log(arg)
            if tok == "D":
                if n < 1:
                    raise self.error("D(x, k) needs k ≥ 1")
                return Difference(arg, n)
            if n == 0:
                return arg
            return Shift(arg, n if tok == "L" else -n)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", tok):
            raise self.error(f"expected a column name, got {tok!r}")
        return Column(tok)

    def term(self) -> Term:
        factors = [self.factor()]
        while self.peek() == ":":
            self.take(":")
            factors.append(self.factor())
        if len(factors) > 1 and any(isinstance(f, Indicator) for f in factors):
            raise self.error("interact i() with a variable as i(var, x), not with ':'")
        return factors[0] if len(factors) == 1 else Interaction(tuple(factors))

    def product(self) -> list[Term]:
        """``a*b*c``: every main effect and every product of them (a, b, c, a:b, a:c, b:c,
        a:b:c), in R's and pyfixest's order; a single term without ``*`` is itself."""
        chain = [self.term()]
        while self.peek() == "*":
            self.take("*")
            chain.append(self.term())
        if len(chain) == 1:
            return chain
        if any(isinstance(t, Indicator) for t in chain):
            raise self.error("'*' with i() is not supported; write i(var, x) and the main effects")
        out: list[Term] = []
        for size in range(1, len(chain) + 1):
            for combo in combinations(chain, size):
                parts: list[Term] = []
                for t in combo:
                    parts += list(t.factors) if isinstance(t, Interaction) else [t]
                out.append(parts[0] if len(parts) == 1 else Interaction(tuple(parts)))
        return out

    def rhs(self) -> tuple[list[Term], bool]:
        terms: list[Term] = []
        intercept = True
        sign = "+"
        while True:
            tok = self.peek()
            if tok in ("0", "1"):
                self.take()
                if tok == "0" or sign == "-":
                    intercept = False
            elif tok is None or tok == "|":
                raise self.error("expected a regressor")
            else:
                if sign == "-":
                    raise self.error("only '- 1' may be subtracted")
                expanded = self.product()
                if len(expanded) > 1:  # a*b next to a main effect: keep the main effect once
                    labels = {t.label for t in terms}
                    expanded = [t for t in expanded if t.label not in labels]
                terms += expanded
            nxt = self.peek()
            if nxt in ("+", "-"):
                sign = self.take()
                continue
            return terms, intercept

    def iv_ahead(self) -> bool:
        """Whether the part that starts here is an IV part (holds ``~`` before the next ``|``)."""
        for tok in self.tokens[self.i :]:
            if tok == "|":
                return False
            if tok == "~":
                return True
        return False

    def term_list(self, where: str) -> list[Term]:
        terms = [self.term()]
        while self.peek() == "+":
            self.take("+")
            terms.append(self.term())
        if self.peek() not in (None, "~", "|"):
            raise self.error(f"expected '+' between the {where} terms")
        return terms

    def fixed_effects(self) -> list[tuple[str, ...]]:
        out: list[tuple[str, ...]] = []
        while True:
            names = [self.take()]
            while self.peek() == "^":
                self.take("^")
                names.append(self.take())
            for n in names:
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", n):
                    raise self.error(f"expected a fixed-effect column name, got {n!r}")
            out.append(tuple(names))
            if self.peek() == "+":
                self.take("+")
                continue
            return out


def parse_formula(text: str) -> ParsedFormula:
    """Parse ``"y ~ x1 + L(x2) + log(x3) | fe1 + fe2^fe3"`` (see the module docstring).

    Raises :class:`EstimationError` with the place of the problem for malformed formulas,
    duplicate terms, a term in two roles, or fewer instruments than endogenous regressors.
    """
    if not isinstance(text, str) or "~" not in text:
        raise EstimationError(f"formula must be a string 'y ~ x1 + x2 | fe'; got {text!r}")
    p = _Parser(text)
    depvar = p.term()
    p.take("~")
    terms, intercept = p.rhs()
    fes: list[tuple[str, ...]] = []
    endog: list[Term] = []
    instruments: list[Term] = []
    if p.peek() == "|":
        p.take("|")
        if not p.iv_ahead():
            fes = p.fixed_effects()
            if p.peek() == "|":
                p.take("|")
                if not p.iv_ahead():
                    raise p.error("the third part must be 'endogenous ~ instruments'")
        if p.iv_ahead():
            endog = p.term_list("endogenous")
            p.take("~")
            instruments = p.term_list("instrument")
    if p.peek() is not None:
        raise p.error("unexpected text")
    _check_roles(text, depvar, terms, endog, instruments)
    fe_labels = ["^".join(f) for f in fes]
    if len(set(fe_labels)) != len(fe_labels):
        raise EstimationError(f"formula {text!r}: a fixed effect appears more than once")
    if fes:
        intercept = False
    if not terms and not intercept and not endog and not fes:
        raise EstimationError(f"formula {text!r}: no regressors to estimate")
    return ParsedFormula(
        text, depvar, tuple(terms), intercept, tuple(fes), tuple(endog), tuple(instruments)
    )


def _check_roles(
    text: str, depvar: Term, exog: list[Term], endog: list[Term], instruments: list[Term]
) -> None:
    """Raise when a term appears twice, in two roles, or the IV part is underidentified."""
    roles = {"exogenous": exog, "endogenous": endog, "instrument": instruments}
    seen: dict[str, str] = {depvar.label: "dependent"}
    for role, terms in roles.items():
        for term in terms:
            label = term.label
            if label in seen:
                if seen[label] == role:
                    raise EstimationError(
                        f"formula {text!r}: term(s) {[label]} appear more than once"
                    )
                if seen[label] == "dependent":
                    raise EstimationError(f"formula {text!r}: {label!r} is on both sides")
                raise EstimationError(
                    f"formula {text!r}: {label!r} is both {seen[label]} and {role}"
                )
            seen[label] = role
    if len(instruments) < len(endog):
        raise EstimationError(
            f"formula {text!r}: underidentified, {len(instruments)} excluded instrument(s) "
            f"{[t.label for t in instruments]} for {len(endog)} endogenous regressor(s) "
            f"{[t.label for t in endog]}"
        )


def fe_text(fe: str | Sequence[str] | None) -> str:
    """The fixed-effects part of a formula: ``"firm + year"`` from ``["firm", "year"]``."""
    if fe is None:
        return ""
    if isinstance(fe, str):
        return fe.strip()
    return " + ".join(str(f).strip() for f in fe)


def control_terms(controls: str | Sequence[str]) -> list[str]:
    """Control terms from a ``controls=`` argument: one string, or a list (blanks dropped)."""
    if isinstance(controls, str):
        return [controls.strip()] if controls.strip() else []
    return [str(c).strip() for c in controls if str(c).strip()]


def formula_text(depvar: str, rhs: Sequence[str], fe: str) -> str:
    """``"depvar ~ a + b | fe"`` (no ``|`` part when ``fe`` is empty)."""
    text = f"{depvar} ~ {' + '.join(rhs)}"
    return f"{text} | {fe}" if fe else text


def check_controls(controls: Sequence[str], reserved: set[str], where: str) -> None:
    """Raise when a control term uses a column with another role (outcome, treatment, ...)."""
    for term in controls:
        cols = term_columns(parse_formula(f"_y ~ {term}").regressors[0])
        clash = reserved & set(cols)
        if clash:
            raise EstimationError(f"{where}: control {term!r} uses {sorted(clash)}")
