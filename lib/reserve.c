/* reserve.c -- how many reserve servers to keep: binomial and Poisson tails
 *
 * The cumulative distributions are computed without ever summing from k = 0
 * and without lgamma differences, which lose about eight digits at
 * N = 10^7 (lgamma(N + 1) is near 1.5e8, so its rounding error alone is
 * ~1e-8 in the log of the probability).  Instead:
 *
 *  - one probability mass, the anchor, is computed with Loader's saddle-point
 *    form ("Fast and accurate computation of binomial probabilities", 2000,
 *    the method of R's dbinom): Stirling's error terms and the deviance
 *    bd0(x, np) = x log(x / np) + np - x evaluated by a series when x is near
 *    np, so the log of the mass is right to a few ulps for any N;
 *  - the tail on the anchor's side of the mean is then summed outwards, away
 *    from the mode, with the ratio of neighbouring masses.  Those ratios are
 *    below one and keep falling (both distributions are log-concave), so the
 *    sum stops as soon as the rest is provably below 1e-17 of it; it takes
 *    about ten standard deviations of terms, never N of them;
 *  - the sum is kept relative to the anchor (it starts at 1), so it neither
 *    underflows nor overflows, and the result is exp(log anchor + log sum);
 *  - every RESYNC steps the running term is recomputed exactly, so rounding
 *    in the ratio products cannot build up over long tails.
 *
 * P(X <= k) below the mean is that lower sum; at or above the mean it is
 * 1 - P(X > k) with the upper tail summed from k + 1, so a probability near
 * one keeps full absolute accuracy and its complement full relative accuracy.
 */

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "reserve.h"
#include "topology.h"

/* Counts stay exact in a double up to here; beyond it k + 1 == k. */
#define COUNT_MAX 9007199254740992.0    /* 2^53 */
#define RESYNC 64
#define TAIL_EPSILON 1e-17
#define LN_2PI 1.837877066409345483560659472811

/* The distribution whose tails are being summed. */
struct dist {
	int poisson;
	double n, p, q;         /* binomial: N, p and 1 - p */
	double np, np_lo;       /* N p exactly, as a sum of two doubles */
	double nq, nq_lo;       /* N q likewise */
	double lambda;          /* Poisson mean */
};

/*
 * The binomial's parameters.  N p is kept to twice double precision because
 * bd0 below depends on x - N p: at N = 3e7 the rounding of N p alone, about
 * 1e-9, would cost 1e-12 of relative accuracy in the masses.
 */
static void
dist_binomial(struct dist *d, double n, double p)
{
	double back;

	d->poisson = 0;
	d->n = n;
	d->p = p;
	d->q = 1 - p;
	d->np = n * p;
	d->np_lo = fma(n, p, -d->np);
	/*
	 * N q as N - N p, not N (1 - p): below p = 1/2, 1 - p is rounded, and
	 * at N = 3e8 that rounding alone moves N q by 1e-8.  TwoSum keeps
	 * N - np exact before np_lo is taken off.
	 */
	d->nq = n - d->np;
	back = d->nq - n;
	d->nq_lo = ((n - (d->nq - back)) + (-d->np - back)) - d->np_lo;
}

/*
 * stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n / e)^n), Stirling's error.
 * Below 16 from a table (computed with mpmath at 40 digits); above, its
 * asymptotic series, truncated where the next term is under 1e-16.
 */
static double
stirlerr(double n)
{
	static const double table[16] = {
		0.0,    /* never used: n = 0 is handled by the callers */
		0.08106146679532725821967026,
		0.04134069595540929409382208,
		0.02767792568499833914878929,
		0.02079067210376509311152277,
		0.01664469118982119216319487,
		0.01387612882307074799874573,
		0.01189670994589177009505572,
		0.01041126526197209649747857,
		0.009255462182712732917728637,
		0.008330563433362871256469319,
		0.007573675487951840794972024,
		0.006942840107209529865664153,
		0.006408994188004207068439631,
		0.005951370112758847735624416,
		0.00555473355196280137103869,
	};
	const double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260;
	const double s3 = 1.0 / 1680, s4 = 1.0 / 1188;
	double nn = n * n;

	if (n < 16)
		return table[(int)n];
	if (n > 500)
		return (s0 - s1 / nn) / n;
	if (n > 80)
		return (s0 - (s1 - s2 / nn) / nn) / n;
	if (n > 35)
		return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
	return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/*
 * bd0(x, m) = x log(x / m) + m - x, the deviance term, for m = m_hi + m_lo.
 * Near x = m the two halves cancel, so there it is summed as the series in
 * v = (x - m)/(x + m) that Loader gives, which has no cancellation.
 */
static double
bd0(double x, double m_hi, double m_lo)
{
	double m = m_hi + m_lo, diff = (x - m_hi) - m_lo, v, s, ej, s1;
	int j;

	if (fabs(diff) < 0.1 * (x + m)) {
		v = diff / (x + m);
		s = diff * v;
		if (fabs(s) < DBL_MIN)
			return s;
		ej = 2 * x * v;
		v *= v;
		for (j = 1; j < 1000; j++) {
			ej *= v;
			s1 = s + ej / (2 * j + 1);
			if (s1 == s)
				return s1;
			s = s1;
		}
	}
	/*
	 * log(x / m) would round x / m first: an error of 1e-16 in the log,
	 * times x.  log1p of diff / m keeps it down while x / m stays away
	 * from 0, where diff / m would round instead.
	 */
	return x * (x >= m / 2 ? log1p(diff / m) : log(x / m)) - diff;
}

/* log P(X = k), 0 <= k (<= n for the binomial), 0 < p < 1 or lambda > 0. */
static double
log_pmf(const struct dist *d, double k)
{
	double lf;

	if (d->poisson) {
		if (k == 0)
			return -d->lambda;
		return -stirlerr(k) - bd0(k, d->lambda, 0) - 0.5 * (LN_2PI + log(k));
	}
	if (k == 0)
		return d->n * log1p(-d->p);
	if (k == d->n)
		return d->n * log(d->p);
	/*
	 * log(1 - k/n) as log1p(-k/n) only while k/n <= 1/2: nearer n, the
	 * rounding of k/n would leave 1 - k/n with few correct digits.
	 */
	lf = k <= d->n / 2 ? log1p(-k / d->n) : log((d->n - k) / d->n);
	return stirlerr(d->n) - stirlerr(k) - stirlerr(d->n - k)
	    - bd0(k, d->np, d->np_lo) - bd0(d->n - k, d->nq, d->nq_lo)
	    - 0.5 * (LN_2PI + log(k) + lf);
}

/* P(X = j - 1) / P(X = j) and P(X = j + 1) / P(X = j). */
static double
ratio_down(const struct dist *d, double j)
{
	if (d->poisson)
		return j / d->lambda;
	return (j * d->q) / ((d->n - j + 1) * d->p);
}

static double
ratio_up(const struct dist *d, double j)
{
	if (d->poisson)
		return d->lambda / (j + 1);
	return ((d->n - j) * d->p) / ((j + 1) * d->q);
}

/*
 * log of P(X <= k) (down) or P(X >= k) (up), summed outwards from k.  The
 * caller picks the side of the mean where every ratio is below one.
 */
static double
log_tail(const struct dist *d, double k, int down)
{
	double anchor = log_pmf(d, k);
	double sum = 1, term = 1, j = k, r;
	unsigned steps = 0;

	for (;;) {
		if (down ? j == 0 : (!d->poisson && j == d->n))
			break;
		r = down ? ratio_down(d, j) : ratio_up(d, j);
		j += down ? -1 : 1;
		term *= r;
		if (++steps % RESYNC == 0)
			term = exp(log_pmf(d, j) - anchor);
		sum += term;
		/* Later ratios are at most r, so the rest is below term r/(1-r). */
		if (term == 0 || (r < 1 && term * r < TAIL_EPSILON * sum * (1 - r)))
			break;
	}
	return anchor + log(sum);
}

static double
cdf(const struct dist *d, double mean, double k)
{
	if (!d->poisson && k >= d->n)
		return 1;
	if (k < mean)
		return exp(log_tail(d, k, 1));
	return -expm1(log_tail(d, k + 1, 0));
}

double
binomial_cdf(uint64_t n, double p, uint64_t k)
{
	struct dist d = { 0 };

	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (k >= n || p == 0)
		return 1;
	if (p == 1)
		return 0;
	dist_binomial(&d, (double)n, p);
	return cdf(&d, d.np, (double)k);
}

double
poisson_cdf(double lambda, uint64_t k)
{
	struct dist d = { 0 };

	if (isnan(lambda) || lambda < 0)
		return NAN;
	if (lambda == 0)
		return 1;
	if (isinf(lambda))
		return 0;
	d.poisson = 1;
	d.lambda = lambda;
	return cdf(&d, lambda, (double)k);
}

/*
 * The smallest k in [0, max] with P(X <= k) >= confidence, given that
 * P(X <= max) >= confidence.  An exponential search from the mean in steps
 * of one standard deviation brackets it in a few evaluations, then a
 * bisection finds it: O(log(z sd)) tail sums, whatever N is.
 */
static uint64_t
quantile(const struct dist *d, double mean, double sd, uint64_t max,
    double confidence, double *achieved)
{
	uint64_t step = sd >= 1 ? (uint64_t)sd : 1;
	uint64_t start = mean < (double)max ? (uint64_t)mean : max;
	uint64_t lo, hi, probe, mid;

	/* Invariant: the answer is in [lo, hi] and P(X <= hi) >= confidence. */
	if (cdf(d, mean, (double)start) >= confidence) {
		lo = 0;
		hi = start;
		while (hi > 0) {
			probe = hi > step ? hi - step : 0;
			if (cdf(d, mean, (double)probe) < confidence) {
				lo = probe + 1;
				break;
			}
			hi = probe;
			step *= 2;
		}
	} else {
		lo = start + 1;
		for (;;) {
			probe = max - (lo - 1) > step ? lo - 1 + step : max;
			if (probe == max || cdf(d, mean, (double)probe) >= confidence) {
				hi = probe;
				break;
			}
			lo = probe + 1;
			step *= 2;
		}
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cdf(d, mean, (double)mid) >= confidence)
			hi = mid;
		else
			lo = mid + 1;
	}
	*achieved = cdf(d, mean, (double)hi);
	return hi;
}

/*
 * Out of range: N = 0 or above 2^53 (counts must be exact doubles), p
 * outside [0, 1], confidence outside (0, 1), any NaN.
 */
int
reserve_compute(const struct reserve_request *request, struct reserve_result *result)
{
	struct dist d = { 0 };
	double n = (double)request->servers, p = request->crash_prob;
	double c = request->confidence;

	if (request->servers == 0 || n > COUNT_MAX || !(p >= 0 && p <= 1)
	    || !(c > 0 && c < 1))
		return -1;
	result->expected_down = n * p;

	if (p == 0) {
		result->reserve = 0;
		result->achieved = 1;
	} else if (p == 1) {
		result->reserve = request->servers;
		result->achieved = 1;
	} else {
		dist_binomial(&d, n, p);
		result->reserve = quantile(&d, d.np, sqrt(d.np * d.q),
		    request->servers, c, &result->achieved);
	}

	if (p == 0) {
		result->poisson_reserve = 0;
		result->poisson_achieved = 1;
	} else {
		d.poisson = 1;
		d.lambda = n * p;
		/*
		 * The Poisson tail is unbounded; at 2^53 it is exactly 1 in a
		 * double for any mean this function accepts.
		 */
		result->poisson_reserve = quantile(&d, d.lambda, sqrt(d.lambda),
		    (uint64_t)COUNT_MAX, c, &result->poisson_achieved);
	}
	return 0;
}

/*
 * Steady-state unavailability: a server is up for mtbf_days on average, then
 * down for repair_days.  NaN when mtbf_days <= 0, repair_days < 0 or either
 * is not finite; 0 when repair_days is 0.
 */
double
reserve_down_prob(double mtbf_days, double repair_days)
{
	if (!isfinite(mtbf_days) || !isfinite(repair_days) || mtbf_days <= 0
	    || repair_days < 0)
		return NAN;
	if (repair_days == 0)
		return 0;
	/* Not repair / (mtbf + repair): that sum can overflow to infinity. */
	return 1 / (1 + mtbf_days / repair_days);
}

uint64_t
reserve_population(const struct topology *topo)
{
	uint64_t count = 0;
	size_t i;

	for (i = 0; i < topo->server_count; i++) {
		switch (topo->servers[i].state) {
		case SERVER_UP:
		case SERVER_JOINING:
		case SERVER_DRAINING:
			count++;
			break;
		case SERVER_DOWN:
		case SERVER_WIPED:
		case SERVER_FENCED:
			break;
		}
	}
	return count;
}
