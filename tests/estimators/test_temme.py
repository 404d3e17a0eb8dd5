"""Temme's expansion of the incomplete gamma function (``appliance.estimators.temme``), which the confidence sequence
uses once ``a`` (its variance process) passes 1e5, against a 40-digit reference: the series summed in ``decimal``."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest

from appliance.estimators import special, temme

PI = Decimal("3.14159265358979323846264338327950288419716939937510")


def reference_log_p(a: float, x: float) -> float:
    """log P(a, x) = a log x - x - lgamma(a + 1) + log Σ x^n / ((a+1)...(a+n)), all to 40 digits."""
    with localcontext() as ctx:
        ctx.prec = 40
        da, dx = Decimal(a), Decimal(x)
        total, term, n = Decimal(1), Decimal(1), 0
        while term > total * Decimal("1e-40"):
            n += 1
            term = term * dx / (da + n)
            total += term
        z = da + 1  # Stirling's series for lgamma(a + 1): its next term is below 1e-40 here
        lgamma = ((z - Decimal("0.5")) * z.ln() - z + (2 * PI).ln() / 2 + 1 / (12 * z) - 1 / (360 * z**3)
                  + 1 / (1260 * z**5) - 1 / (1680 * z**7))
        return float(da * dx.ln() - dx - lgamma + total.ln())


def x_at(a: float, spread: float) -> float:
    """``a`` moved by ``spread``: a fraction of ``a`` (|spread| < 0.5), or standard deviations."""
    return a * (1 + spread) if abs(spread) < 0.5 else a + spread * math.sqrt(a)


@pytest.mark.parametrize(("a", "spread"), [  # far above a = 1e8 the reference series would take millions of terms
    (a, s) for a in (1e5, 4e5, 1e8) for s in (-0.3, -0.05, -3.0, -1.0, 0.0, 1.0, 3.0, 0.01) if a < 1e6 or x_at(a, s) < a + 1.5 * math.sqrt(a)])
def test_temme_agrees_with_the_series_to_about_1e_12(a: float, spread: float) -> None:
    x = x_at(a, spread)
    ours, reference = temme.log_p(a, x), reference_log_p(a, x)
    assert ours == pytest.approx(reference, rel=1e-12, abs=1e-12)


def test_the_incomplete_gamma_takes_temme_where_the_series_would_be_long() -> None:
    a = 2.7e7  # a month of a daemon's events valued
    for x in (a - 3 * math.sqrt(a), a, a + 3 * math.sqrt(a)):
        assert special.log_lower_gamma(a, x) == math.lgamma(a) + temme.log_p(a, x)  # was: 4 ms of series a call
