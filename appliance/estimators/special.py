"""The few special functions the intervals need, in pure Python (no scipy on the device): regularised incomplete
beta and gamma functions, their inverses by bisection, the trigamma function and a bracketed root finder.

Each agrees with scipy to about 1e-13 on the ranges the estimators use (tested against scipy).

>>> round(betainc(2.0, 3.0, 0.4), 12), round(beta_ppf(0.5, 2.0, 2.0), 12)
(0.5248, 0.5)
>>> round(gammainc(1.0, 1.0), 12), round(trigamma(1.0), 12)
(0.632120558829, 1.644934066849)
>>> round(f1_isf(0.05, 1e9), 6)  # the F(1, n) quantile tends to the squared normal one, 1.959964**2
3.841459
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from appliance.estimators import temme

_TINY = 1e-300
_EPS = 1e-16


def _continued_fraction(next_terms: Callable[[int], tuple[float, float]], first: float, limit: int = 100_000) -> float:
    """Lentz's evaluation of ``first + a1/(b1 + a2/(b2 + ...))``, terms from ``next_terms(m) -> (a_m, b_m)``."""
    f = first if first != 0.0 else _TINY
    c, d = f, 0.0
    for m in range(1, limit):
        a, b = next_terms(m)
        d = b + a * d
        d = 1.0 / (d if d != 0.0 else _TINY)
        c = b + a / c
        c = c if c != 0.0 else _TINY
        delta = c * d
        f *= delta
        if abs(delta - 1.0) < _EPS:
            return f
    raise ArithmeticError("continued fraction did not converge")


def _stirling(x: float) -> float:
    """lgamma(x) - ((x - 1/2) log x - x + log(2 pi)/2), for x >= 10 (error below 1e-15)."""
    inv2 = 1.0 / (x * x)
    return (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (1 / 1188 - inv2 * 691 / 360360))))) / x


def lbeta(a: float, b: float) -> float:
    """log B(a, b), without the cancellation of ``lgamma(a) + lgamma(b) - lgamma(a + b)`` when b is large.

    >>> round(lbeta(2.0, 3.0) - math.log(1 / 12), 12), round(lbeta(0.5, 1e12) - (math.lgamma(0.5) - 0.5 * math.log(1e12)), 12)
    (0.0, 0.0)
    """
    a, b = min(a, b), max(a, b)
    if b < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    if a < 10.0:
        return math.lgamma(a) - ((b - 0.5) * math.log1p(a / b) + a * math.log(a + b) - a) + _stirling(b) - _stirling(a + b)
    total = a + b
    return (0.5 * math.log(2 * math.pi) + (a - 0.5) * math.log(a / total) + (b - 0.5) * math.log1p(-a / total) - 0.5 * math.log(total)
            + _stirling(a) + _stirling(b) - _stirling(total))


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - betainc(b, a, 1.0 - x)
    log_front = a * math.log(x) + b * math.log1p(-x) - lbeta(a, b)

    def terms(m: int) -> tuple[float, float]:
        k = m // 2
        if m % 2:  # d_{2k+1}
            return -(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1)), 1.0
        return k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k)), 1.0

    return math.exp(log_front) / (a * _continued_fraction(terms, 1.0))


def bisect(f: Callable[[float], float], lo: float, hi: float, iterations: int = 200, tolerance: float = 0.0) -> float:
    """A root of ``f`` between ``lo`` and ``hi``, where ``f`` changes sign, to the last bit of a double (or to within
    ``tolerance``).

    >>> round(bisect(lambda x: x * x - 2.0, 0.0, 2.0), 12), abs(bisect(lambda x: x * x - 2.0, 0.0, 2.0, tolerance=1e-3) - 2**0.5) < 1e-3
    (1.414213562373, True)
    """
    f_lo = f(lo)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi) or hi - lo <= tolerance:
            break
        f_mid = f(mid)
        if f_mid == 0.0:
            return mid
        if (f_mid < 0.0) == (f_lo < 0.0):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def beta_ppf(q: float, a: float, b: float) -> float:
    """The ``q`` quantile of the Beta(a, b) distribution (scipy's ``beta.ppf``)."""
    return bisect(lambda x: betainc(a, b, x) - q, 0.0, 1.0)


def f1_isf(alpha: float, n: float) -> float:
    """The upper ``alpha`` quantile of the F(1, n) distribution (scipy's ``f.isf(alpha, 1, n)``): the squared
    two-sided Student t quantile, found as y = t²/(n + t²) with I_y(1/2, n/2) = 1 - alpha."""
    y = bisect(lambda v: betainc(0.5, n / 2.0, v) - (1.0 - alpha), 0.0, 1.0)
    return n * y / (1.0 - y)


def log_lower_gamma(a: float, x: float) -> float:
    """log γ(a, x), the log of the lower incomplete gamma function (scipy's ``log(gammainc(a, x)) + loggamma(a)``)."""
    if x <= 0.0:
        return -math.inf
    if a >= temme.SMALLEST_A and abs(x / a - 1.0) <= temme.NEAR:  # where the series would take O(√a) terms
        return math.lgamma(a) + temme.log_p(a, x)
    if x < a + 1.0:  # the series converges fast here
        term = total = 1.0 / a
        n = a
        while abs(term) > abs(total) * _EPS:
            n += 1.0
            term *= x / n
            total += term
        return a * math.log(x) - x + math.log(total)

    def terms(m: int) -> tuple[float, float]:
        return -m * (m - a), x + 2 * m + 1 - a

    upper = math.exp(a * math.log(x) - x - math.lgamma(a)) / _continued_fraction(terms, x + 1.0 - a)
    return math.lgamma(a) + math.log1p(-upper)


def gammainc(a: float, x: float) -> float:
    """The regularised lower incomplete gamma function P(a, x), for a > 0 and x >= 0."""
    return math.exp(log_lower_gamma(a, x) - math.lgamma(a))


def trigamma(x: float) -> float:
    """The trigamma function ψ'(x) (scipy's ``polygamma(1, x)``), for x > 0."""
    total = 0.0
    while x < 8.0:
        total += 1.0 / (x * x)
        x += 1.0
    value: float = _trigamma_from(total, x)
    return value


def trigammas(x: np.ndarray) -> np.ndarray:
    """:func:`trigamma` of each element of ``x`` (all > 0), in the same steps (so the same figures).

    >>> trigammas(np.array([1.0, 20.0])).tolist() == [trigamma(1.0), trigamma(20.0)]
    True
    """
    total = np.zeros(len(x))
    while (small := x < 8.0).any():
        total = total + np.where(small, 1.0 / (x * x), 0.0)
        x = np.where(small, x + 1.0, x)
    return np.asarray(_trigamma_from(total, x))


def _trigamma_from(total: Any, x: Any) -> Any:
    """``total`` plus ψ'(x) for x >= 8 by its asymptotic series (floats or numpy arrays alike)."""
    inv = 1.0 / x
    inv2 = inv * inv
    return total + inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 * (1 / 30 - inv2 * 5 / 66))))
