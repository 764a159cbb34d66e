/* test_reserve.c -- reserve statistics against independently computed values
 *
 * Every reference constant below was computed outside lib/reserve.c, in
 * Python 3.11:
 *  - "exact": fractions.Fraction and math.comb, summing
 *    comb(n, j) p^j (1 - p)^(n - j) for j = 0..k in exact rationals, with p
 *    the exact binary value of the C double (Fraction(0.005)), then rounded
 *    to 17 significant digits;
 *  - "mpmath": mpmath 1.3 at 60 significant digits, the anchor mass
 *    binomial(n, k) p^k (1 - p)^(n - k) and the tail summed term by term
 *    until terms fell below 1e-40 of the sum (lower tail below the mean,
 *    1 - upper tail above it); Poisson CDFs as the regularised incomplete
 *    gamma gammainc(k + 1, lambda, inf), or exp(-5) times the exact rational
 *    sum of 5^j / j! for lambda = 5.
 * tests/reference/reserve-reference.py prints them all again.
 */

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "reserve.h"
#include "topology.h"

/* Relative agreement expected wherever the CDF is not tiny. */
#define REL 1e-12

struct ref {
	uint64_t k;
	double cdf;
};

static void
assert_close(double got, double want, double rel)
{
	double err = fabs(got - want) / fabs(want);

	if (!(err <= rel)) {
		fprintf(stderr, "got %.17g want %.17g relative error %.3g > %.3g\n",
		    got, want, err, rel);
		fail();
	}
}

static void
check_binomial(uint64_t n, double p, const struct ref *refs, size_t count, double rel)
{
	size_t i;

	for (i = 0; i < count; i++)
		assert_close(binomial_cdf(n, p, refs[i].k), refs[i].cdf, rel);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
binomial_cdf__n1000_p0005__matches_exact_rationals(void **state)
{
	/* exact */
	static const struct ref refs[] = {
		{ 0, 0.0066539685788319942 }, { 1, 0.040090996613163621 },
		{ 2, 0.12401961723200106 }, { 3, 0.26432240345913632 },
		{ 4, 0.4400534058064402 }, { 5, 0.61596102222645488 },
		{ 6, 0.76255070257646718 }, { 7, 0.86715238403225481 },
		{ 8, 0.93239702579456463 }, { 9, 0.96853476148870832 },
		{ 10, 0.98653099067106831 }, { 11, 0.99466998879374358 },
		{ 12, 0.9980407882674982 }, { 13, 0.99932812877003763 },
		{ 14, 0.99978419663651519 }, { 15, 0.99993484417967993 },
	};

	(void)state;
	check_binomial(1000, 0.005, refs, COUNT(refs), REL);
}

static void
binomial_cdf__n10_p05__matches_exact_rationals(void **state)
{
	/* exact: the numerators of j / 1024 */
	static const double num[] = { 1, 11, 56, 176, 386, 638, 848, 968, 1013, 1023, 1024 };
	uint64_t k;

	(void)state;
	for (k = 0; k <= 10; k++)
		assert_close(binomial_cdf(10, 0.5, k), num[k] / 1024, REL);
}

static void
binomial_cdf__n1e7_p1e6__matches_mpmath(void **state)
{
	/* mpmath */
	static const struct ref refs[] = {
		{ 0, 0.000045399702763252225376 }, { 1, 0.00049939718439325608859 },
		{ 2, 0.0027693866355339856277 }, { 3, 0.010336024192647673435 },
		{ 5, 0.067085868295838488694 }, { 8, 0.3328195661516230051 },
		{ 9, 0.45792965191679895649 }, { 10, 0.58303975019299598976 },
		{ 11, 0.69677620317135692395 }, { 14, 0.91654163121959209216 },
		{ 17, 0.98572243107692024404 }, { 18, 0.9928135237605604941 },
		{ 20, 0.99841174866853328301 }, { 25, 0.99998231994709980995 },
		{ 30, 0.99999992016376495712 },
	};

	(void)state;
	check_binomial(10000000, 1e-6, refs, COUNT(refs), REL);
}

static void
binomial_cdf__n1e7_p1e9__matches_mpmath(void **state)
{
	/* mpmath */
	static const struct ref refs[] = {
		{ 0, 0.99004983374421780379 }, { 1, 0.99995033209156048079 },
		{ 2, 0.99999983457839644749 }, { 3, 0.99999999958665306406 },
	};

	(void)state;
	check_binomial(10000000, 1e-9, refs, COUNT(refs), REL);
}

static void
binomial_cdf__n1e7_p05__matches_mpmath_on_both_sides_of_the_mean(void **state)
{
	/* mpmath; the first is 6.3 standard deviations below the mean */
	static const struct ref refs[] = {
		{ 4990000, 1.2724002455775865285e-10 },
		{ 4997000, 0.028910642657918773544 },
		{ 5000000, 0.50012615662294709239 },
		{ 5001000, 0.73655864851435669368 },
		{ 5003000, 0.97113106444411402642 },
		{ 5007000, 0.99999523354593187188 },
	};

	(void)state;
	check_binomial(10000000, 0.5, refs, COUNT(refs), REL);
}

static void
binomial_cdf__n1e9_p1e3__matches_mpmath(void **state)
{
	/* mpmath */
	static const struct ref refs[] = {
		{ 1000000, 0.50026596151955380762 },
		{ 1000100, 0.54011165573821767599 },
		{ 1000500, 0.69177049328300945399 },
	};

	(void)state;
	check_binomial(1000000000, 1e-3, refs, COUNT(refs), REL);
}

static void
binomial_cdf__large_n_with_p_near_0_or_1__matches_mpmath(void **state)
{
	(void)state;
	/*
	 * mpmath.  These once lost digits: 1 - k/n rounded near k = n, and
	 * N (1 - p) with 1 - p rounded.
	 */
	assert_close(binomial_cdf(UINT64_C(6554630132), 0.9999999990800459, UINT64_C(6554630128)),
	    0.85144955020483696749, REL);
	assert_close(binomial_cdf(UINT64_C(8191147), 0.9999999999746182, UINT64_C(8191143)),
	    7.7836856547652766059e-17, REL);
	assert_close(binomial_cdf(303596543, 0.02491900818734933, 7550539),
	    2.5848621332130321346e-8, REL);
	assert_close(binomial_cdf(30134660, 0.37917504258775747, 11416282),
	    0.000083113129227487634463, REL);
}

static void
binomial_cdf__far_upper_tail__keeps_its_complement_to_an_ulp(void **state)
{
	/* mpmath: P(X > 30) for N = 1000, p = 0.005 */
	double upper = 3.2422278451915557172e-15;

	(void)state;
	assert_true(fabs((1 - binomial_cdf(1000, 0.005, 30)) - upper) <= DBL_EPSILON);
	assert_true(binomial_cdf(1000, 0.005, 40) == 1);
}

static void
binomial_cdf__degenerate_p__is_a_step(void **state)
{
	(void)state;
	assert_true(binomial_cdf(1000, 0, 0) == 1);
	assert_true(binomial_cdf(1000, 1, 999) == 0);
	assert_true(binomial_cdf(1000, 1, 1000) == 1);
	assert_true(binomial_cdf(1000, 0.3, 1000) == 1);
	assert_true(binomial_cdf(1000, 0.3, 5000) == 1);
	assert_true(binomial_cdf(0, 0.3, 0) == 1);
	/* The lower tail is p^0 q^n, exactly (1 - p)^n: no underflow to garbage. */
	assert_close(binomial_cdf(2, 0.5, 0), 0.25, REL);
}

static void
binomial_cdf__p_out_of_range__is_nan(void **state)
{
	(void)state;
	assert_true(isnan(binomial_cdf(10, -0.1, 3)));
	assert_true(isnan(binomial_cdf(10, 1.5, 3)));
	assert_true(isnan(binomial_cdf(10, NAN, 3)));
}

static void
binomial_cdf__underflowing_lower_tail__is_zero_not_nan(void **state)
{
	double v;

	(void)state;
	/* 0.5^(10^7) is far below the smallest double. */
	v = binomial_cdf(10000000, 0.5, 0);
	assert_true(v == 0);
	v = binomial_cdf(10000000, 0.5, 4000000);
	assert_true(v >= 0 && v < 1e-300);
}

static void
binomial_cdf__grows_with_k_and_falls_with_p(void **state)
{
	static const double ps[] = { 1e-9, 1e-6, 0.001, 0.005, 0.1, 0.5, 0.9, 0.999 };
	static const uint64_t ns[] = { 1, 7, 1000, 100000 };
	size_t i, j;
	uint64_t k, step;

	(void)state;
	for (i = 0; i < COUNT(ns); i++) {
		step = ns[i] / 200 + 1;
		for (j = 0; j < COUNT(ps); j++) {
			for (k = 0; k + step <= ns[i]; k += step) {
				double a = binomial_cdf(ns[i], ps[j], k);
				double b = binomial_cdf(ns[i], ps[j], k + step);

				assert_true(a >= 0 && b <= 1 && a <= b);
				if (j + 1 < COUNT(ps))
					assert_true(binomial_cdf(ns[i], ps[j + 1], k) <= a);
			}
		}
	}
}

static void
poisson_cdf__lambda5__matches_exact_sum(void **state)
{
	/* exp(-5) at 60 digits times the exact rational sum of 5^j / j! */
	static const double refs[] = {
		0.006737946999085467096636048, 0.04042768199451280257981629,
		0.1246520194830811412877669, 0.2650259152973617058010179,
		0.4404932850652124114425817, 0.6159606548330631170841454,
		0.7621834629729387051187819, 0.8666283259299926965720937,
		0.9319063652781514412304135, 0.9681719426937951882628134,
		0.9863047314016170617790134, 0.9945469080869906406500134,
		0.9979811483725629651795967, 0.9993020100208600130755903,
		0.9997737463238232444670166, 0.999930991758144321597492,
	};
	uint64_t k;

	(void)state;
	for (k = 0; k < COUNT(refs); k++)
		assert_close(poisson_cdf(5, k), refs[k], REL);
}

static void
poisson_cdf__lambda1e6__matches_mpmath_gammainc(void **state)
{
	(void)state;
	assert_close(poisson_cdf(1e6, 999000), 0.15877629981172561228, REL);
	assert_close(poisson_cdf(1e6, 1000000), 0.50026596148628365279, REL);
	assert_close(poisson_cdf(1e6, 1002000), 0.97724987704032575032, REL);
}

static void
poisson_cdf__degenerate_lambda__is_handled(void **state)
{
	(void)state;
	assert_true(poisson_cdf(0, 0) == 1);
	assert_true(isnan(poisson_cdf(-1, 3)));
	assert_true(isnan(poisson_cdf(NAN, 3)));
	assert_true(poisson_cdf(INFINITY, 3) == 0);
}

static struct reserve_result
compute(uint64_t n, double p, double c)
{
	struct reserve_request req = { n, p, c };
	struct reserve_result res;

	assert_int_equal(reserve_compute(&req, &res), 0);
	return res;
}

static void
reserve_compute__seed_example__is_eleven_under_both_models(void **state)
{
	struct reserve_result r = compute(1000, 0.005, 0.99);

	(void)state;
	/* exact: P(X <= 10) = 0.98653 < 0.99 <= P(X <= 11) = 0.99467 */
	assert_true(r.expected_down == 5);
	assert_int_equal(r.reserve, 11);
	assert_close(r.achieved, 0.99466998879374358, REL);
	/* Poisson(5): P(X <= 10) = 0.98630, P(X <= 11) = 0.99455 */
	assert_int_equal(r.poisson_reserve, 11);
	assert_close(r.poisson_achieved, 0.9945469080869906406500134, REL);
}

static void
reserve_compute__n1e7_p1e6__is_eighteen(void **state)
{
	struct reserve_result r = compute(10000000, 1e-6, 0.99);

	(void)state;
	/* mpmath: P(X <= 17) = 0.98572, P(X <= 18) = 0.99281 */
	assert_int_equal(r.reserve, 18);
	assert_close(r.achieved, 0.9928135237605604941, REL);
	assert_int_equal(r.poisson_reserve, 18);
}

static void
reserve_compute__n1e7_p05__matches_mpmath(void **state)
{
	struct reserve_result r = compute(10000000, 0.5, 0.99);

	(void)state;
	/* mpmath: P(X > 5003677) = 0.0100131, P(X > 5003678) = 0.0099963 */
	assert_int_equal(r.reserve, 5003678);
	assert_close(1 - r.achieved, 0.0099962723425412187878, 1e-10);
	/* mpmath gammainc: P(X <= 5005202) = 0.989999, P(X <= 5005203) = 0.990011 */
	assert_int_equal(r.poisson_reserve, 5005203);
	assert_close(r.poisson_achieved, 0.99001063290318028677, REL);
}

static void
reserve_compute__confidence_near_one__reaches_the_far_tail(void **state)
{
	struct reserve_result r = compute(1000, 0.005, 1 - 1e-12);

	(void)state;
	/* mpmath: P(X > 26) = 4.4e-12, P(X > 27) = 7.7e-13 */
	assert_int_equal(r.reserve, 27);
	/* mpmath: Poisson(5) P(X > 26) = 5.6e-12, P(X > 27) = 9.9e-13 */
	assert_int_equal(r.poisson_reserve, 27);
}

static void
reserve_compute__p0__needs_no_reserve(void **state)
{
	struct reserve_result r = compute(1000, 0, 0.99);

	(void)state;
	assert_true(r.expected_down == 0);
	assert_int_equal(r.reserve, 0);
	assert_true(r.achieved == 1);
	assert_int_equal(r.poisson_reserve, 0);
	assert_true(r.poisson_achieved == 1);
}

static void
reserve_compute__p1__needs_every_server(void **state)
{
	struct reserve_result r = compute(1000, 1, 0.99);

	(void)state;
	assert_int_equal(r.reserve, 1000);
	assert_true(r.achieved == 1);
	/* Poisson(1000) has no upper bound: 1000 + 2.33 sqrt(1000), about 1074. */
	assert_true(r.poisson_reserve > 1050 && r.poisson_reserve < 1100);
	assert_close(poisson_cdf(1000, r.poisson_reserve), r.poisson_achieved, REL);
}

static void
reserve_compute__out_of_range__is_rejected(void **state)
{
	static const struct reserve_request bad[] = {
		{ 0, 0.005, 0.99 },
		{ UINT64_C(1) << 60, 0.005, 0.99 },
		{ 1000, -0.001, 0.99 },
		{ 1000, 1.001, 0.99 },
		{ 1000, NAN, 0.99 },
		{ 1000, 0.005, 0 },
		{ 1000, 0.005, 1 },
		{ 1000, 0.005, -0.5 },
		{ 1000, 0.005, NAN },
	};
	struct reserve_result res;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(bad); i++)
		assert_int_equal(reserve_compute(&bad[i], &res), -1);
}

/* The reserve is the smallest count that reaches the confidence. */
static void
check_minimal(uint64_t n, double p, double c, const struct reserve_result *r)
{
	assert_true(r->achieved >= c && r->achieved <= 1);
	assert_close(binomial_cdf(n, p, r->reserve), r->achieved, 0);
	if (r->reserve > 0)
		assert_true(binomial_cdf(n, p, r->reserve - 1) < c);
	assert_true(r->poisson_achieved >= c && r->poisson_achieved <= 1);
	if (r->poisson_reserve > 0)
		assert_true(poisson_cdf(n * p, r->poisson_reserve - 1) < c);
}

static void
reserve_compute__over_a_grid__is_minimal_and_monotone(void **state)
{
	static const uint64_t ns[] = { 1, 2, 10, 1000, 54321, 10000000 };
	static const double ps[] = { 1e-9, 1e-6, 1e-4, 0.005, 0.05, 0.3, 0.7, 0.99 };
	static const double cs[] = { 1e-6, 0.5, 0.9, 0.99, 0.999999, 1 - 1e-15 };
	uint64_t prev_c, prev_p[COUNT(cs)], prev_n[COUNT(ps)][COUNT(cs)];
	size_t i, j, l;

	(void)state;
	for (i = 0; i < COUNT(ns); i++) {
		for (j = 0; j < COUNT(ps); j++) {
			prev_c = 0;
			for (l = 0; l < COUNT(cs); l++) {
				struct reserve_result r = compute(ns[i], ps[j], cs[l]);

				check_minimal(ns[i], ps[j], cs[l], &r);
				assert_true(r.reserve <= ns[i]);
				assert_true(r.reserve >= prev_c);
				prev_c = r.reserve;
				if (j > 0)
					assert_true(r.reserve >= prev_p[l]);
				prev_p[l] = r.reserve;
				if (i > 0)
					assert_true(r.reserve >= prev_n[j][l]);
				prev_n[j][l] = r.reserve;
			}
		}
	}
}

static void
reserve_down_prob__steady_state__is_repair_share(void **state)
{
	(void)state;
	assert_true(reserve_down_prob(30, 2) == 2.0 / 32);
	assert_true(reserve_down_prob(1, 0) == 0);
	assert_true(isnan(reserve_down_prob(0, 1)));
	assert_true(isnan(reserve_down_prob(-1, 1)));
	assert_true(isnan(reserve_down_prob(10, -1)));
	assert_true(isnan(reserve_down_prob(INFINITY, 1)));
	assert_true(isnan(reserve_down_prob(10, NAN)));
	/* mtbf + repair would overflow; the share is still one half. */
	assert_true(reserve_down_prob(1e308, 1e308) == 0.5);
}

static void
reserve_population__topology__counts_servers_in_service_of_any_role(void **state)
{
	struct topology_server servers[] = {
		{ .state = SERVER_UP, .role = ROLE_PRIMARY },
		{ .state = SERVER_UP, .role = ROLE_RESERVE },
		{ .state = SERVER_JOINING, .role = ROLE_NONE },
		{ .state = SERVER_DRAINING, .role = ROLE_REPLICA },
		{ .state = SERVER_DOWN, .role = ROLE_REPLICA },
		{ .state = SERVER_WIPED, .role = ROLE_RESERVE },
		{ .state = SERVER_FENCED, .role = ROLE_PRIMARY },
	};
	struct topology topo = { .servers = servers, .server_count = COUNT(servers) };

	(void)state;
	assert_int_equal(reserve_population(&topo), 4);
	topo.server_count = 0;
	assert_int_equal(reserve_population(&topo), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(binomial_cdf__n1000_p0005__matches_exact_rationals),
		cmocka_unit_test(binomial_cdf__n10_p05__matches_exact_rationals),
		cmocka_unit_test(binomial_cdf__n1e7_p1e6__matches_mpmath),
		cmocka_unit_test(binomial_cdf__n1e7_p1e9__matches_mpmath),
		cmocka_unit_test(binomial_cdf__n1e7_p05__matches_mpmath_on_both_sides_of_the_mean),
		cmocka_unit_test(binomial_cdf__n1e9_p1e3__matches_mpmath),
		cmocka_unit_test(binomial_cdf__large_n_with_p_near_0_or_1__matches_mpmath),
		cmocka_unit_test(binomial_cdf__far_upper_tail__keeps_its_complement_to_an_ulp),
		cmocka_unit_test(binomial_cdf__degenerate_p__is_a_step),
		cmocka_unit_test(binomial_cdf__p_out_of_range__is_nan),
		cmocka_unit_test(binomial_cdf__underflowing_lower_tail__is_zero_not_nan),
		cmocka_unit_test(binomial_cdf__grows_with_k_and_falls_with_p),
		cmocka_unit_test(poisson_cdf__lambda5__matches_exact_sum),
		cmocka_unit_test(poisson_cdf__lambda1e6__matches_mpmath_gammainc),
		cmocka_unit_test(poisson_cdf__degenerate_lambda__is_handled),
		cmocka_unit_test(reserve_compute__seed_example__is_eleven_under_both_models),
		cmocka_unit_test(reserve_compute__n1e7_p1e6__is_eighteen),
		cmocka_unit_test(reserve_compute__n1e7_p05__matches_mpmath),
		cmocka_unit_test(reserve_compute__confidence_near_one__reaches_the_far_tail),
		cmocka_unit_test(reserve_compute__p0__needs_no_reserve),
		cmocka_unit_test(reserve_compute__p1__needs_every_server),
		cmocka_unit_test(reserve_compute__out_of_range__is_rejected),
		cmocka_unit_test(reserve_compute__over_a_grid__is_minimal_and_monotone),
		cmocka_unit_test(reserve_down_prob__steady_state__is_repair_share),
		cmocka_unit_test(reserve_population__topology__counts_servers_in_service_of_any_role),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
