/* ring-balance.c -- bench-ring-balance's helper: balance and movement
 *
 * For each shard count and vnode count: place n shards with ring_place and
 * report max/mean ownership, then add one shard and report the fraction of
 * the ring that moved (exactly, from ring_diff); the same for purely random
 * tokens (a fixed-seed generator, so runs repeat); and the ideal 1/(n+1).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "topology.h"

static uint64_t rng_state = 42;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
add_shard(struct topology *t, int random_tokens, int vnodes)
{
	struct topology_shard *s;
	int i;

	t->shards = realloc(t->shards, (t->shard_count + 1) * sizeof(*t->shards));
	s = &t->shards[t->shard_count++];
	memset(s, 0, sizeof(*s));
	s->id = "s";
	if (!random_tokens)
		return;
	s->tokens = calloc((size_t)vnodes, sizeof(uint64_t));
	s->token_count = (size_t)vnodes;
	for (i = 0; i < vnodes; i++)
		s->tokens[i] = rng_next();
}

static double
max_over_mean(const struct topology *t)
{
	struct ring r;
	double *f, max = 0.0;
	size_t i;

	ring_build(&r, t, RING_ALL);
	f = calloc(r.owner_count, sizeof(*f));
	ring_ownership(&r, f);
	for (i = 0; i < r.owner_count; i++)
		if (f[i] > max)
			max = f[i];
	free(f);
	ring_free(&r);
	return max * (double)t->shard_count;
}

/* Build n shards, then add one: max/mean before, fraction moved by the addition. */
static void
measure(size_t n, int vnodes, int random_tokens, double *balance, double *moved)
{
	struct topology t;
	struct ring before, after;
	struct range_move *moves;
	size_t i, count;

	memset(&t, 0, sizeof(t));
	t.mode = MODE_PRIMARY_REPLICA;
	for (i = 0; i < n; i++)
		add_shard(&t, random_tokens, vnodes);
	if (!random_tokens)
		ring_place(&t, vnodes);
	*balance = max_over_mean(&t);
	ring_build(&before, &t, RING_ALL);
	add_shard(&t, random_tokens, vnodes);
	if (!random_tokens)
		ring_place(&t, vnodes);
	ring_build(&after, &t, RING_ALL);
	count = ring_diff(&before, NULL, &after, NULL, &moves);
	*moved = 0.0;
	for (i = 0; i < count; i++)
		*moved += token_range_fraction(&moves[i].range);
	free(moves);
	ring_free(&before);
	ring_free(&after);
	for (i = 0; i < t.shard_count; i++)
		free(t.shards[i].tokens);
	free(t.shards);
}

int
main(void)
{
	static const size_t shards[] = { 10, 100, 1000 };
	static const int vnodes[] = { 16, 64, 256 };
	size_t i, j;

	printf("%-7s %-7s %15s %15s %12s %12s %13s\n", "shards", "vnodes", "placed max/mean",
	    "random max/mean", "placed moved", "random moved", "ideal 1/(n+1)");
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			double pb, pm, rb, rm;

			measure(shards[i], vnodes[j], 0, &pb, &pm);
			measure(shards[i], vnodes[j], 1, &rb, &rm);
			printf("%-7zu %-7d %15.4f %15.4f %12.6f %12.6f %13.6f\n", shards[i], vnodes[j],
			    pb, rb, pm, rm, 1.0 / (double)(shards[i] + 1));
		}
	}
	return 0;
}
