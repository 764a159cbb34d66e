#!/usr/bin/env python3
# reserve-accuracy.py -- compare lib/reserve.c's CDFs with mpmath on random cases.
#
# Builds a small driver against build/libshardkit.a (run `make` first),
# draws random (N, p, k) with N up to 10^10, p log-uniform in [1e-12, 0.5]
# or 1 - p so, k within --z standard deviations of the mean, and random
# Poisson (lambda, k); prints every case worse than --tolerance and the
# worst relative error.  Needs python3-mpmath.  Not part of `make check`:
# it is slow, and what it measures is documented in reserve-calc(1).
#
#   tests/reference/reserve-accuracy.py --seed 1 --cases 400
import argparse
import math
import os
import random
import subprocess
import sys
import tempfile

from mpmath import mp, mpf, binomial, gammainc, nstr, power

DRIVER = r'''
#include <stdio.h>
#include "reserve.h"
int main(void) {
	char line[256]; unsigned long long n, k; double a;
	while (fgets(line, sizeof line, stdin)) {
		if (line[0] == 'b' && sscanf(line, "b %llu %lf %llu", &n, &a, &k) == 3)
			printf("%.17g\n", binomial_cdf(n, a, k));
		else if (sscanf(line, "p %lf %llu", &a, &k) == 2)
			printf("%.17g\n", poisson_cdf(a, k));
	}
	return 0;
}
'''


def pmf(n, p, k):
    return binomial(n, k) * power(p, k) * power(1 - p, n - k)


def tail(n, p, k, down):
    j = k if down else k + 1
    t = s = pmf(n, p, j)
    while (j > 0) if down else (j < n):
        if down:
            t = t * j * (1 - p) / ((n - j + 1) * p)
            j -= 1
        else:
            t = t * (n - j) * p / ((j + 1) * (1 - p))
            j += 1
        s += t
        if t < s * mpf('1e-30'):
            break
    return s


def draw(rng, count, z, sd_max):
    cases = []
    while len(cases) < count:
        n = int(10 ** rng.uniform(0, 10))
        p = 10 ** rng.uniform(-12, -0.3)
        if rng.random() < 0.2:
            p = 1 - p
        sd = math.sqrt(n * p * (1 - p))
        k = math.floor(n * p + rng.uniform(-z, z) * max(sd, 1))
        if 0 < p < 1 and sd <= sd_max and 0 <= k < n:
            cases.append(('b', n, p, k))
    for _ in range(count // 4):
        lam = 10 ** rng.uniform(-6, 7)
        k = int(lam + rng.uniform(-z, z) * max(math.sqrt(lam), 1))
        if k >= 0:
            cases.append(('p', lam, k))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--cases', type=int, default=400)
    ap.add_argument('--z', type=float, default=8)
    ap.add_argument('--sd-max', type=float, default=3000)
    ap.add_argument('--tolerance', type=float, default=1e-12)
    args = ap.parse_args()
    mp.dps = 40
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, 'driver.c'), os.path.join(tmp, 'driver')
        with open(src, 'w') as f:
            f.write(DRIVER)
        subprocess.run(['cc', '-O2', '-I' + os.path.join(top, 'lib'), src,
                        os.path.join(top, 'build', 'libshardkit.a'), '-lm', '-o', exe], check=True)
        cases = draw(random.Random(args.seed), args.cases, args.z, args.sd_max)
        text = ''.join('b %d %.17g %d\n' % c[1:] if c[0] == 'b' else 'p %.17g %d\n' % c[1:]
                       for c in cases)
        got = subprocess.run([exe], input=text, capture_output=True, text=True,
                             check=True).stdout.split()
    worst, bad = (0, None), 0
    for c, g in zip(cases, got):
        if c[0] == 'b':
            n, p, k = c[1], mpf(c[2]), c[3]
            ref = tail(n, p, k, True) if k < n * p else 1 - tail(n, p, k, False)
        else:
            ref = gammainc(c[2] + 1, mpf(c[1]), mp.inf, regularized=True)
        if ref < mpf('1e-300'):
            continue
        err = abs(mpf(g) - ref) / ref
        if err > worst[0]:
            worst = (err, (c, g, nstr(ref, 20)))
        if err > args.tolerance:
            bad += 1
            print('worse than tolerance:', c, g, nstr(ref, 20), nstr(err, 3))
    print('%d cases, worst relative error %s at %s, %d worse than %g'
          % (len(cases), nstr(worst[0], 3), worst[1], bad, args.tolerance))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
