/* test_ring.c -- the ring: ranges, lookup edges, ownership, diff, placement */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"
#include "topology.h"

/* A deterministic generator, so a failing case can be replayed. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A topology of n shards named s0..s(n-1) without tokens. */
static void
topo_init(struct topology *t, enum topology_mode mode, size_t n)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->mode = mode;
	t->replication_factor = 1;
	t->vnodes = 256;
	if (mode == MODE_MULTI_MASTER) {
		t->servers = calloc(n ? n : 1, sizeof(*t->servers));
		t->server_count = n;
	} else {
		t->shards = calloc(n ? n : 1, sizeof(*t->shards));
		t->shard_count = n;
	}
	for (i = 0; i < n; i++) {
		char id[32];

		snprintf(id, sizeof(id), "s%zu", i);
		if (mode == MODE_MULTI_MASTER) {
			t->servers[i].id = strdup(id);
			t->servers[i].shard = -1;
		} else {
			t->shards[i].id = strdup(id);
		}
	}
}

/* Append one shard without tokens. */
static void
topo_grow(struct topology *t)
{
	char id[32];

	t->shards = realloc(t->shards, (t->shard_count + 1) * sizeof(*t->shards));
	memset(&t->shards[t->shard_count], 0, sizeof(*t->shards));
	snprintf(id, sizeof(id), "s%zu", t->shard_count);
	t->shards[t->shard_count].id = strdup(id);
	t->shard_count++;
}

static void
topo_set_tokens(struct topology *t, size_t shard, const uint64_t *tokens, size_t n)
{
	free(t->shards[shard].tokens);
	t->shards[shard].tokens = malloc(n * sizeof(uint64_t));
	memcpy(t->shards[shard].tokens, tokens, n * sizeof(uint64_t));
	t->shards[shard].token_count = n;
}

static void
topo_release(struct topology *t)
{
	size_t i;

	for (i = 0; i < t->shard_count; i++) {
		free(t->shards[i].id);
		free(t->shards[i].tokens);
	}
	for (i = 0; i < t->server_count; i++) {
		free(t->servers[i].id);
		free(t->servers[i].tokens);
	}
	free(t->shards);
	free(t->servers);
}

static const char **
shard_ids(const struct topology *t)
{
	const char **ids = calloc(t->shard_count, sizeof(*ids));
	size_t i;

	for (i = 0; i < t->shard_count; i++)
		ids[i] = t->shards[i].id;
	return ids;
}

/* The owner by definition: first token >= hash, else the smallest. */
static uint32_t
brute_owner(const struct ring *r, uint64_t hash)
{
	size_t i, best = SIZE_MAX, first = 0;

	for (i = 0; i < r->count; i++) {
		if (r->points[i].token < r->points[first].token)
			first = i;
		if (r->points[i].token >= hash &&
		    (best == SIZE_MAX || r->points[i].token < r->points[best].token))
			best = i;
	}
	return r->points[best == SIZE_MAX ? first : best].owner;
}

static void
token_range_contains__plain_range__excludes_start_and_includes_end(void **state)
{
	struct token_range r = { 10, 20 };

	(void)state;
	assert_false(token_range_contains(&r, 10));
	assert_true(token_range_contains(&r, 11));
	assert_true(token_range_contains(&r, 20));
	assert_false(token_range_contains(&r, 21));
	assert_false(token_range_contains(&r, 0));
	assert_false(token_range_contains(&r, UINT64_MAX));
}

static void
token_range_contains__wrapping_range__holds_both_sides_of_zero(void **state)
{
	struct token_range r = { UINT64_MAX - 5, 3 };

	(void)state;
	assert_false(token_range_contains(&r, UINT64_MAX - 5));
	assert_true(token_range_contains(&r, UINT64_MAX - 4));
	assert_true(token_range_contains(&r, UINT64_MAX));
	assert_true(token_range_contains(&r, 0));
	assert_true(token_range_contains(&r, 3));
	assert_false(token_range_contains(&r, 4));
	assert_false(token_range_contains(&r, UINT64_C(1) << 63));
}

static void
token_range_contains__equal_ends__is_the_whole_ring(void **state)
{
	struct token_range r = { 42, 42 };

	(void)state;
	assert_true(token_range_contains(&r, 42));
	assert_true(token_range_contains(&r, 0));
	assert_true(token_range_contains(&r, UINT64_MAX));
}

static void
token_range_fraction__halves_wraps_and_whole__are_exact(void **state)
{
	struct token_range whole = { 7, 7 };
	struct token_range half = { 0, UINT64_C(1) << 63 };
	struct token_range wrap = { UINT64_C(3) << 62, UINT64_C(1) << 62 };
	struct token_range one = { UINT64_MAX, 0 };

	(void)state;
	assert_true(token_range_fraction(&whole) == 1.0);
	assert_true(token_range_fraction(&half) == 0.5);
	assert_true(token_range_fraction(&wrap) == 0.5);
	assert_true(token_range_fraction(&one) == 0x1p-64);
}

static void
ring_find__edges__follow_first_token_at_or_after_hash(void **state)
{
	struct ring_point points[] = { { 100, 0 }, { 200, 1 }, { 300, 2 } };
	struct ring r = { points, 3, 3 };

	(void)state;
	assert_int_equal(ring_find(&r, 0), 0);
	assert_int_equal(ring_find(&r, 99), 0);
	assert_int_equal(ring_find(&r, 100), 0);
	assert_int_equal(ring_find(&r, 101), 1);
	assert_int_equal(ring_find(&r, 200), 1);
	assert_int_equal(ring_find(&r, 300), 2);
	assert_int_equal(ring_find(&r, 301), 0);
	assert_int_equal(ring_find(&r, UINT64_MAX), 0);
}

static void
ring_find__single_token__owns_every_hash(void **state)
{
	struct ring_point points[] = { { UINT64_C(1) << 63, 0 } };
	struct ring r = { points, 1, 1 };

	(void)state;
	assert_int_equal(ring_find(&r, 0), 0);
	assert_int_equal(ring_find(&r, UINT64_C(1) << 63), 0);
	assert_int_equal(ring_find(&r, UINT64_MAX), 0);
}

static void
ring_find__extreme_tokens__zero_and_max_are_owned_exactly(void **state)
{
	struct ring_point points[] = { { 0, 0 }, { UINT64_MAX, 1 } };
	struct ring r = { points, 2, 2 };

	(void)state;
	assert_int_equal(ring_find(&r, 0), 0);
	assert_int_equal(ring_find(&r, 1), 1);
	assert_int_equal(ring_find(&r, UINT64_MAX), 1);
}

static void
ring_find__random_rings__match_the_definition(void **state)
{
	int round, k;

	(void)state;
	for (round = 0; round < 50; round++) {
		struct topology t;
		struct ring r;
		size_t shard;

		topo_init(&t, MODE_PRIMARY_REPLICA, 1 + rng_next() % 5);
		for (shard = 0; shard < t.shard_count; shard++) {
			uint64_t tokens[8];
			size_t n = 1 + rng_next() % 8, i;

			for (i = 0; i < n; i++)
				tokens[i] = rng_next();
			topo_set_tokens(&t, shard, tokens, n);
		}
		ring_build(&r, &t, RING_ALL);
		for (k = 0; k < 200; k++) {
			uint64_t h = k < (int)r.count ? r.points[k].token + (uint64_t)(k % 3) - 1 : rng_next();

			assert_int_equal(r.points[ring_find(&r, h)].owner, brute_owner(&r, h));
		}
		ring_free(&r);
		topo_release(&t);
	}
}

static void
ring_build__routable__leaves_out_creating_shards(void **state)
{
	struct topology t;
	struct ring all, routable;
	uint64_t a[] = { 300, 100 }, b[] = { 200 };

	(void)state;
	topo_init(&t, MODE_PRIMARY_REPLICA, 2);
	topo_set_tokens(&t, 0, a, 2);
	topo_set_tokens(&t, 1, b, 1);
	t.shards[1].state = SHARD_CREATING;
	ring_build(&all, &t, RING_ALL);
	ring_build(&routable, &t, RING_ROUTABLE);
	assert_int_equal(all.count, 3);
	assert_true(all.points[0].token == 100 && all.points[1].token == 200 &&
	    all.points[2].token == 300);
	assert_int_equal(all.points[1].owner, 1);
	assert_int_equal(routable.count, 2);
	assert_int_equal(routable.owner_count, 2);
	/* Keys of the creating shard go where the data still is: clockwise. */
	assert_int_equal(routable.points[ring_find(&routable, 150)].owner, 0);
	ring_free(&all);
	ring_free(&routable);
	topo_release(&t);
}

static void
ring_build__multi_master__puts_servers_on_the_ring(void **state)
{
	struct topology t;
	struct ring r;
	uint64_t a[] = { 10 }, b[] = { 5, 20 };

	(void)state;
	topo_init(&t, MODE_MULTI_MASTER, 2);
	t.servers[0].tokens = malloc(sizeof(a));
	memcpy(t.servers[0].tokens, a, sizeof(a));
	t.servers[0].token_count = 1;
	t.servers[1].tokens = malloc(sizeof(b));
	memcpy(t.servers[1].tokens, b, sizeof(b));
	t.servers[1].token_count = 2;
	ring_build(&r, &t, RING_ROUTABLE);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.owner_count, 2);
	assert_int_equal(r.points[0].owner, 1);
	assert_int_equal(r.points[1].owner, 0);
	assert_int_equal(r.points[2].owner, 1);
	ring_free(&r);
	topo_release(&t);
}

static void
ring_build__no_tokens__gives_an_empty_ring(void **state)
{
	struct topology t;
	struct ring r;

	(void)state;
	topo_init(&t, MODE_NO_REPLICATION, 3);
	assert_int_equal(ring_build(&r, &t, RING_ROUTABLE), 0);
	assert_int_equal(r.count, 0);
	ring_free(&r);
	topo_release(&t);
}

static void
ring_ownership__wrapping_and_single_token__are_exact(void **state)
{
	struct ring_point two[] = { { UINT64_C(1) << 62, 0 }, { UINT64_C(3) << 62, 1 } };
	struct ring_point one[] = { { 12345, 1 } };
	struct ring r2 = { two, 2, 3 }, r1 = { one, 1, 2 };
	double f[3];

	(void)state;
	ring_ownership(&r2, f);
	assert_true(f[0] == 0.5 && f[1] == 0.5 && f[2] == 0.0);
	ring_ownership(&r1, f);
	assert_true(f[0] == 0.0 && f[1] == 1.0);
}

/* Every move is checked point by point against owners computed by brute force. */
static void
check_diff(const struct ring *before, const char **bids, const struct ring *after,
    const char **aids)
{
	struct range_move *moves;
	size_t n = ring_diff(before, bids, after, aids, &moves), i, j, p;
	uint64_t probes[64];
	size_t np = 0;

	/* Adjacent moves with equal owners must have been merged. */
	for (i = 0; i + 1 < n; i++)
		assert_false(moves[i].range.end == moves[i + 1].range.start &&
		    moves[i].from == moves[i + 1].from && moves[i].to == moves[i + 1].to);
	/* Probes: every token and its neighbours, the ends of the ring, randoms. */
	for (i = 0; i < before->count + after->count && np + 3 <= 48; i++) {
		uint64_t t = i < before->count ? before->points[i].token :
		    after->points[i - before->count].token;

		probes[np++] = t;
		probes[np++] = t + 1;
		probes[np++] = t - 1;
	}
	probes[np++] = 0;
	probes[np++] = UINT64_MAX;
	while (np < 64)
		probes[np++] = rng_next();
	for (p = 0; p < np; p++) {
		uint32_t from = brute_owner(before, probes[p]);
		uint32_t to = brute_owner(after, probes[p]);
		int moved = strcmp(bids[from], aids[to]) != 0, hits = 0;

		for (j = 0; j < n; j++) {
			if (!token_range_contains(&moves[j].range, probes[p]))
				continue;
			hits++;
			assert_int_equal(moves[j].from, from);
			assert_int_equal(moves[j].to, to);
		}
		assert_int_equal(hits, moved);
	}
	free(moves);
}

static void
ring_diff__random_rings__match_brute_force_owners(void **state)
{
	const char *bids[] = { "a", "b", "c", "d" };
	const char *aids[] = { "b", "a", "e", "c", "d" };
	int round;

	(void)state;
	for (round = 0; round < 300; round++) {
		struct ring_point bp[16], ap[16];
		struct ring before = { bp, 0, 4 }, after = { ap, 0, 5 };
		size_t i;

		/* Tokens from a small set so both rings share many of them. */
		before.count = 1 + rng_next() % 8;
		after.count = 1 + rng_next() % 8;
		for (i = 0; i < 16; i++) {
			bp[i].token = (rng_next() % 12) * (UINT64_MAX / 12);
			bp[i].owner = (uint32_t)(rng_next() % 4);
			ap[i].token = (rng_next() % 12) * (UINT64_MAX / 12);
			ap[i].owner = (uint32_t)(rng_next() % 5);
		}
		for (i = 0; i < 16; i++) {
			size_t j;

			for (j = i + 1; j < 16; j++) {
				struct ring_point tmp;

				if (bp[j].token < bp[i].token)
					tmp = bp[i], bp[i] = bp[j], bp[j] = tmp;
				if (ap[j].token < ap[i].token)
					tmp = ap[i], ap[i] = ap[j], ap[j] = tmp;
			}
		}
		/* Distinct tokens, as the contract requires. */
		for (i = 1; i < 16; i++) {
			if (bp[i].token <= bp[i - 1].token)
				bp[i].token = bp[i - 1].token + 1;
			if (ap[i].token <= ap[i - 1].token)
				ap[i].token = ap[i - 1].token + 1;
		}
		check_diff(&before, bids, &after, aids);
	}
}

static void
ring_diff__identical_rings__move_nothing(void **state)
{
	struct ring_point points[] = { { 5, 0 }, { 9, 1 } };
	struct ring r = { points, 2, 2 };
	const char *ids[] = { "x", "y" };
	struct range_move *moves;

	(void)state;
	assert_int_equal(ring_diff(&r, ids, &r, ids, &moves), 0);
	free(moves);
}

static void
ring_diff__everything_to_one_new_owner__is_one_whole_ring_range(void **state)
{
	struct ring_point bp[] = { { 5, 0 }, { 9, 1 } }, ap[] = { { 7, 0 } };
	struct ring before = { bp, 2, 2 }, after = { ap, 1, 1 };
	const char *bids[] = { "x", "x2" }, *aids[] = { "z" };
	struct range_move *moves;
	size_t n;

	(void)state;
	/* Owners x and x2 both hand over to z: two moves, none merged across owners. */
	n = ring_diff(&before, bids, &after, aids, &moves);
	assert_int_equal(n, 2);
	free(moves);
	bids[1] = "x";
	bp[1].owner = 0;
	n = ring_diff(&before, bids, &after, aids, &moves);
	assert_int_equal(n, 1);
	assert_true(moves[0].range.start == moves[0].range.end);
	assert_true(token_range_fraction(&moves[0].range) == 1.0);
	free(moves);
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

static void
check_balance(size_t n)
{
	struct topology t;
	size_t i, j;

	topo_init(&t, MODE_PRIMARY_REPLICA, n);
	assert_int_equal(ring_place(&t, 256), n);
	for (i = 0; i < n; i++) {
		assert_int_equal(t.shards[i].token_count, 256);
		for (j = 1; j < 256; j++)
			assert_true(t.shards[i].tokens[j - 1] < t.shards[i].tokens[j]);
	}
	assert_true(max_over_mean(&t) <= 1.05);
	topo_release(&t);
}

static void
ring_place__10_shards__max_over_mean_at_most_1_05(void **state)
{
	(void)state;
	check_balance(10);
}

static void
ring_place__100_shards__max_over_mean_at_most_1_05(void **state)
{
	(void)state;
	check_balance(100);
}

static void
ring_place__1000_shards__max_over_mean_at_most_1_05(void **state)
{
	(void)state;
	check_balance(1000);
}

static void
ring_place__first_owner__gets_equally_spaced_distinct_tokens(void **state)
{
	struct topology t;
	size_t i;

	(void)state;
	topo_init(&t, MODE_NO_REPLICATION, 1);
	assert_int_equal(ring_place(&t, 4), 1);
	assert_int_equal(t.shards[0].token_count, 4);
	for (i = 0; i < 4; i++)
		assert_true(t.shards[0].tokens[i] == (i + 1) * (UINT64_C(1) << 62) - 1);
	/* Already placed: nothing to do. */
	assert_int_equal(ring_place(&t, 4), 0);
	topo_release(&t);
}

static void
ring_place__same_topology__gives_the_same_tokens(void **state)
{
	struct topology a, b;
	size_t i;

	(void)state;
	topo_init(&a, MODE_PRIMARY_REPLICA, 7);
	topo_init(&b, MODE_PRIMARY_REPLICA, 7);
	ring_place(&a, 16);
	ring_place(&b, 16);
	for (i = 0; i < 7; i++)
		assert_memory_equal(a.shards[i].tokens, b.shards[i].tokens, 16 * sizeof(uint64_t));
	topo_release(&a);
	topo_release(&b);
}

/*
 * Adding one shard to n placed ones: existing tokens stay, every move goes to
 * the newcomer, it takes ~1/(n+1), and the givers give in proportion.
 */
static void
check_one_added(size_t n, int vnodes, int random_start)
{
	struct topology t;
	struct ring before, after;
	struct range_move *moves;
	uint64_t **saved = calloc(n, sizeof(*saved));
	const char **bids, **aids;
	double *f_before = calloc(n + 1, sizeof(double)), *f_after = calloc(n + 1, sizeof(double));
	double moved = 0.0, ideal = 1.0 / (double)(n + 1);
	size_t i, count;

	topo_init(&t, MODE_PRIMARY_REPLICA, n);
	if (random_start) {
		for (i = 0; i < n; i++) {
			uint64_t *tokens = calloc((size_t)vnodes, sizeof(uint64_t));
			int k;

			for (k = 0; k < vnodes; k++)
				tokens[k] = rng_next();
			topo_set_tokens(&t, i, tokens, (size_t)vnodes);
			free(tokens);
		}
	} else {
		ring_place(&t, vnodes);
	}
	for (i = 0; i < n; i++) {
		saved[i] = malloc((size_t)vnodes * sizeof(uint64_t));
		memcpy(saved[i], t.shards[i].tokens, (size_t)vnodes * sizeof(uint64_t));
	}
	ring_build(&before, &t, RING_ALL);
	ring_ownership(&before, f_before);
	bids = shard_ids(&t);
	topo_grow(&t);
	assert_int_equal(ring_place(&t, vnodes), 1);
	assert_int_equal(t.shards[n].token_count, (size_t)vnodes);
	for (i = 0; i < n; i++)
		assert_memory_equal(saved[i], t.shards[i].tokens, (size_t)vnodes * sizeof(uint64_t));
	ring_build(&after, &t, RING_ALL);
	assert_int_equal(after.count, before.count + (size_t)vnodes);
	ring_ownership(&after, f_after);
	aids = shard_ids(&t);
	count = ring_diff(&before, bids, &after, aids, &moves);
	for (i = 0; i < count; i++) {
		assert_int_equal(moves[i].to, n);
		moved += token_range_fraction(&moves[i].range);
	}
	assert_true(moved > ideal * 0.999 && moved < ideal * 1.001);
	assert_true(f_after[n] > ideal * 0.999 && f_after[n] < ideal * 1.001);
	if (!random_start && n <= (size_t)vnodes) {
		/* Each of n equal owners gives ideal/n, give or take one piece. */
		double piece = ideal / vnodes;

		for (i = 0; i < n; i++) {
			double gave = f_before[i] - f_after[i];

			assert_true(gave > ideal / (double)n - piece * 1.01);
			assert_true(gave < ideal / (double)n + piece * 1.01);
		}
	}
	free(moves);
	free(bids);
	free(aids);
	for (i = 0; i < n; i++)
		free(saved[i]);
	free(saved);
	free(f_before);
	free(f_after);
	ring_free(&before);
	ring_free(&after);
	topo_release(&t);
}

static void
ring_place__one_shard_added_to_10__takes_an_eleventh_evenly(void **state)
{
	(void)state;
	check_one_added(10, 256, 0);
	check_one_added(10, 16, 0);
}

static void
ring_place__one_shard_added_to_100__takes_a_101st(void **state)
{
	(void)state;
	check_one_added(100, 256, 0);
}

static void
ring_place__one_shard_added_to_1000__takes_a_1001st(void **state)
{
	(void)state;
	check_one_added(1000, 256, 0);
}

static void
ring_place__random_existing_ring__keeps_its_tokens_and_takes_its_share(void **state)
{
	(void)state;
	check_one_added(20, 32, 1);
}

static void
ring_place__multi_master__gives_tokens_to_servers_without_any(void **state)
{
	struct topology t;
	uint64_t keep[] = { 77 };

	(void)state;
	topo_init(&t, MODE_MULTI_MASTER, 3);
	t.servers[1].tokens = malloc(sizeof(keep));
	memcpy(t.servers[1].tokens, keep, sizeof(keep));
	t.servers[1].token_count = 1;
	assert_int_equal(ring_place(&t, 8), 2);
	assert_int_equal(t.servers[0].token_count, 8);
	assert_int_equal(t.servers[1].token_count, 1);
	assert_true(t.servers[1].tokens[0] == 77);
	assert_int_equal(t.servers[2].token_count, 8);
	topo_release(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_range_contains__plain_range__excludes_start_and_includes_end),
		cmocka_unit_test(token_range_contains__wrapping_range__holds_both_sides_of_zero),
		cmocka_unit_test(token_range_contains__equal_ends__is_the_whole_ring),
		cmocka_unit_test(token_range_fraction__halves_wraps_and_whole__are_exact),
		cmocka_unit_test(ring_find__edges__follow_first_token_at_or_after_hash),
		cmocka_unit_test(ring_find__single_token__owns_every_hash),
		cmocka_unit_test(ring_find__extreme_tokens__zero_and_max_are_owned_exactly),
		cmocka_unit_test(ring_find__random_rings__match_the_definition),
		cmocka_unit_test(ring_build__routable__leaves_out_creating_shards),
		cmocka_unit_test(ring_build__multi_master__puts_servers_on_the_ring),
		cmocka_unit_test(ring_build__no_tokens__gives_an_empty_ring),
		cmocka_unit_test(ring_ownership__wrapping_and_single_token__are_exact),
		cmocka_unit_test(ring_diff__random_rings__match_brute_force_owners),
		cmocka_unit_test(ring_diff__identical_rings__move_nothing),
		cmocka_unit_test(ring_diff__everything_to_one_new_owner__is_one_whole_ring_range),
		cmocka_unit_test(ring_place__10_shards__max_over_mean_at_most_1_05),
		cmocka_unit_test(ring_place__100_shards__max_over_mean_at_most_1_05),
		cmocka_unit_test(ring_place__1000_shards__max_over_mean_at_most_1_05),
		cmocka_unit_test(ring_place__first_owner__gets_equally_spaced_distinct_tokens),
		cmocka_unit_test(ring_place__same_topology__gives_the_same_tokens),
		cmocka_unit_test(ring_place__one_shard_added_to_10__takes_an_eleventh_evenly),
		cmocka_unit_test(ring_place__one_shard_added_to_100__takes_a_101st),
		cmocka_unit_test(ring_place__one_shard_added_to_1000__takes_a_1001st),
		cmocka_unit_test(ring_place__random_existing_ring__keeps_its_tokens_and_takes_its_share),
		cmocka_unit_test(ring_place__multi_master__gives_tokens_to_servers_without_any),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
