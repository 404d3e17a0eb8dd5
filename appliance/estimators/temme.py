"""log P(a, x), the regularised lower incomplete gamma function, for large ``a`` and ``x`` near it, in a constant
number of steps: Temme's uniform asymptotic expansion (DLMF 8.12.3-8.12.8) with its first two terms.

Near ``a`` the series and the continued fraction need O(√a) terms: 4 ms an evaluation at a = 2.7e7, which a
confidence sequence over a month of a daemon's events pays at every step of its bisection. From ``a`` = 1e5 the
expansion's next term is below 1e-12 of the result.

>>> import math
>>> round(math.exp(log_p(1e6, 1e6)), 9)  # just above one half: the median of Gamma(a) is about a - 1/3
0.500132981
"""

from __future__ import annotations

import math

SMALLEST_A = 1e5
"""From here on (and ``x`` within ``NEAR`` of ``a``, relatively) :func:`log_p` is used: its relative error is below
1e-12, while the series' cost has grown to about 0.3 ms."""
NEAR = 0.3
_C0 = (-1 / 3, 1 / 12, -2 / 135, 1 / 864, 1 / 2835, -139 / 777600)  # C0(η)'s Taylor coefficients at η = 0
_C1 = (-1 / 540, -1 / 288, 1 / 378, -77 / 77760, 1 / 4860)  # and C1(η)'s (by series reversion of λ(η))
_SQRT_PI = math.sqrt(math.pi)


def log_p(a: float, x: float) -> float:
    """log P(a, x) for ``a`` >= :data:`SMALLEST_A` and ``|x/a - 1|`` <= :data:`NEAR`."""
    mu = x / a - 1.0
    half_eta2 = _mu_minus_log1p(mu)  # η²/2 = λ - 1 - log λ, λ = x/a
    eta = math.copysign(math.sqrt(2.0 * half_eta2), mu)
    series = (_c0(eta, mu) + _c1(eta, mu) / a) / math.sqrt(2.0 * math.pi * a)  # R_a(η)·exp(aη²/2)
    if eta >= 0.0:  # P = 1 - Q, Q = erfc(η√(a/2))/2 + R_a(η): small
        q = 0.5 * math.erfc(eta * math.sqrt(a / 2.0)) + math.exp(-a * half_eta2) * series
        return math.log1p(-q)
    # P = exp(-aη²/2)·(erfcx(-η√(a/2))/2 - series): its log without underflow, however small P is
    return -a * half_eta2 + math.log(0.5 * _erfcx(-eta * math.sqrt(a / 2.0)) - series)


def _mu_minus_log1p(mu: float) -> float:
    """μ - log(1 + μ), without the cancellation of the two near μ = 0."""
    if abs(mu) >= 0.1:
        return mu - math.log1p(mu)
    total, power, k = 0.0, mu * mu, 2
    while abs(power) > 1e-17 * abs(total) or k < 4:
        total += power / k if k % 2 == 0 else -power / k
        power *= mu
        k += 1
    return total


def _c0(eta: float, mu: float) -> float:
    """C0(η) = 1/(λ-1) - 1/η; its Taylor series where the two terms would cancel."""
    if abs(eta) < 0.01:
        return _polynomial(_C0, eta)
    return 1.0 / mu - 1.0 / eta


def _c1(eta: float, mu: float) -> float:
    """C1(η) = 1/η³ - 1/(λ-1)³ - 1/(λ-1)² - 1/(12(λ-1)); its Taylor series where those would cancel."""
    if abs(eta) < 0.01:
        return _polynomial(_C1, eta)
    return 1.0 / eta**3 - 1.0 / mu**3 - 1.0 / mu**2 - 1.0 / (12.0 * mu)


def _polynomial(coefficients: tuple[float, ...], z: float) -> float:
    total = 0.0
    for c in reversed(coefficients):
        total = total * z + c
    return total


def _erfcx(z: float) -> float:
    """exp(z²)·erfc(z) for z >= 0: directly while exp(z²) fits, else by its asymptotic series (converged by then).

    >>> abs(_erfcx(25.9) / (math.exp(25.9 ** 2) * math.erfc(25.9)) - 1) < 1e-14, abs(_erfcx(26.1) * 26.1 * _SQRT_PI - 1) < 1e-3
    (True, True)
    """
    if z < 26.0:
        return math.exp(z * z) * math.erfc(z)
    total, term, k = 1.0, 1.0, 1
    while abs(term) > 1e-17:
        term *= -(2 * k - 1) / (2.0 * z * z)
        total += term
        k += 1
    return total / (z * _SQRT_PI)
