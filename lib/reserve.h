/* reserve.h -- how many reserve servers to keep: binomial and Poisson models
 *
 * Crashes on one day are modelled as X ~ Binomial(N, p): N servers, each down
 * independently with probability p.  The reserve R is the smallest count with
 * P(X <= R) >= confidence, so on all but (1 - confidence) of days every
 * failed server can be replaced at once.
 */
#ifndef SHARDKIT_RESERVE_H
#define SHARDKIT_RESERVE_H

#include <stdint.h>

struct reserve_request {
	uint64_t servers;       /* N, 1 .. 10^7 (and beyond, within double range) */
	double crash_prob;      /* p, 0 <= p <= 1 */
	double confidence;      /* C, 0 < C < 1, default 0.99 */
};

struct reserve_result {
	double expected_down;       /* N * p */
	uint64_t reserve;           /* smallest R with binomial P(X <= R) >= C */
	double achieved;            /* binomial P(X <= reserve) */
	uint64_t poisson_reserve;   /* same under Poisson(N * p) */
	double poisson_achieved;
};

/* Returns 0, or -1 (nothing reported) when the request is out of range. */
int reserve_compute(const struct reserve_request *request, struct reserve_result *result);

/* P(X <= k) for X ~ Binomial(n, p), computed stably in log space. */
double binomial_cdf(uint64_t n, double p, uint64_t k);
/* P(X <= k) for X ~ Poisson(lambda). */
double poisson_cdf(double lambda, uint64_t k);

/*
 * The probability that a server is down on a given day when it fails every
 * mtbf_days on average and takes repair_days to come back: the steady-state
 * unavailability repair / (mtbf + repair).  Reserves are held for servers
 * being repaired, so this, not the daily crash rate alone, is what to cover.
 */
double reserve_down_prob(double mtbf_days, double repair_days);

struct topology;

/*
 * N for a topology: the servers in service (state up, joining or draining),
 * whatever their role.  Reserves count, since a reserve that crashes is one
 * replacement fewer; servers already down, wiped or fenced do not, since
 * they are out of service already and cannot fail again today.  reserve-calc
 * and shard-plan both use this, so they agree on what a reserve covers.
 */
uint64_t reserve_population(const struct topology *topo);

#endif
