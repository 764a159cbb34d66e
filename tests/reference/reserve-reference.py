#!/usr/bin/env python3
# reserve-reference.py -- regenerate the reference constants of
# tests/unit/test_reserve.c, independently of lib/reserve.c.
#
# Exact rational arithmetic (fractions, math.comb) where it is cheap, with p
# the exact binary value of the C double; mpmath (python3-mpmath) at 60
# significant digits otherwise: the anchor mass binomial(n, k) p^k q^(n-k),
# the tail summed term by term until terms fall below 1e-40 of the sum, and
# the Poisson CDF as the regularised upper incomplete gamma function.
# Only needed to regenerate the constants, not to run the tests.
from fractions import Fraction
from math import comb

from mpmath import mp, mpf, binomial, exp, gammainc, nstr, power

mp.dps = 60


def exact(p):
    f = Fraction(p)
    return mpf(f.numerator) / f.denominator


def exact_binomial_cdfs(n, p, kmax):
    q = 1 - p
    s = Fraction(0)
    for j in range(kmax + 1):
        s += comb(n, j) * p**j * q**(n - j)
        yield j, s


def pmf(n, p, k):
    return binomial(n, k) * power(p, k) * power(1 - p, n - k)


def lower(n, p, k):
    t = s = pmf(n, p, k)
    j = k
    while j > 0:
        t = t * j * (1 - p) / ((n - j + 1) * p)
        j -= 1
        s += t
        if t < s * mpf('1e-40'):
            break
    return s


def upper(n, p, k):
    """P(X > k)"""
    j = k + 1
    t = s = pmf(n, p, j)
    while j < n:
        t = t * (n - j) * p / ((j + 1) * (1 - p))
        j += 1
        s += t
        if t < s * mpf('1e-40'):
            break
    return s


def cdf(n, p, k):
    return lower(n, p, k) if k < n * p else 1 - upper(n, p, k)


def show(n, p, ks):
    print("binomial N=%d p=%r" % (n, p))
    for k in ks:
        print("  k=%d cdf=%s upper=%s" % (k, nstr(cdf(n, exact(p), k), 20),
                                          nstr(upper(n, exact(p), k), 20)))


print("binomial N=1000 p=0.005, exact")
for k, v in exact_binomial_cdfs(1000, Fraction(0.005), 15):
    print("  k=%d cdf=%.17g" % (k, float(v)))
print("binomial N=10 p=0.5, exact")
for k, v in exact_binomial_cdfs(10, Fraction(1, 2), 10):
    print("  k=%d cdf=%s" % (k, v))
show(10**7, 1e-6, range(0, 31))
show(10**7, 1e-9, range(0, 4))
show(10**7, 0.5, [4990000, 4997000, 5000000, 5001000, 5003000, 5007000])
show(10**7, 0.5, range(5003676, 5003680))
show(10**9, 1e-3, [1000000, 1000100, 1000500])
show(1000, 0.005, list(range(25, 31)) + [40])
show(6554630132, 0.9999999990800459, [6554630128])
show(8191147, 0.9999999999746182, [8191143])
show(303596543, 0.02491900818734933, [7550539])
show(30134660, 0.37917504258775747, [11416282])

print("Poisson lambda=5: exp(-5) times the exact sum of 5^j/j!")
s, f = Fraction(0), Fraction(1)
for j in range(16):
    if j > 0:
        f = f * 5 / j
    s += f
    print("  k=%d cdf=%s" % (j, nstr(exp(mpf(-5)) * mpf(s.numerator) / s.denominator, 25)))
for lam, ks in ((5, range(25, 29)), (10**6, [999000, 1000000, 1002000]),
                (5 * 10**6, range(5005201, 5005205)), (1000, [1074])):
    print("Poisson lambda=%d, mpmath gammainc" % lam)
    for k in ks:
        print("  k=%d cdf=%s" % (k, nstr(gammainc(k + 1, lam, mp.inf, regularized=True), 20)))
