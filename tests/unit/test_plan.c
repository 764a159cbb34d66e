/* test_plan.c -- the shard planner: its invariants over random topologies, and the seed's cases
 *
 * The property tests build random clusters (modes, replication factors,
 * zones, existing shards with tokens, reserves, down servers, new servers),
 * plan them with random options and check every invariant of the plan
 * against the topologies and rings themselves, never against the planner's
 * own bookkeeping alone.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "error.h"
#include "plan.h"
#include "reserve.h"
#include "ring.h"
#include "topology.h"

/* A deterministic generator, so a failing case can be replayed by its number. */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t
rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng_next() % n);
}

/* ---- building topologies ---------------------------------------------------- */

static int next_port;

static void
topo_start(struct topology *t, enum topology_mode mode, int x, int vnodes)
{
	memset(t, 0, sizeof(*t));
	t->version = 5;
	t->mode = mode;
	t->replication_factor = x;
	t->vnodes = vnodes;
	t->migrations = json_array();
	next_port = 10000;
}

static int
server(struct topology *t, const char *id, const char *zone, enum server_state state,
    enum server_role role, int shard)
{
	char conninfo[64];
	int i;

	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d", next_port++);
	i = topology_add_server(t, id, conninfo, zone);
	t->servers[i].state = state;
	t->servers[i].role = role;
	t->servers[i].shard = shard;
	return i;
}

/* n new servers "new<k>" in zones z0..z(zones-1), all up. */
static void
new_servers(struct topology *t, int n, int zones)
{
	char id[32], zone[16];
	int k;

	for (k = 0; k < n; k++) {
		snprintf(id, sizeof(id), "new%02d", k);
		snprintf(zone, sizeof(zone), "z%d", k % zones);
		server(t, id, zone, SERVER_UP, ROLE_NONE, -1);
	}
}

/* A shard of x up servers in zones z0.. with tokens placed. */
static int
full_shard(struct topology *t, const char *id, int x)
{
	int shard = topology_add_shard(t, id, SHARD_ACTIVE), k;
	char sid[64], zone[16];

	for (k = 0; k < x; k++) {
		snprintf(sid, sizeof(sid), "%s-m%d", id, k);
		snprintf(zone, sizeof(zone), "z%d", k);
		server(t, sid, zone, SERVER_UP, k == 0 ? ROLE_PRIMARY : ROLE_REPLICA, shard);
	}
	ring_place(t, t->vnodes);
	return shard;
}

static void
shuffle_servers(struct topology *t)
{
	size_t i;

	for (i = t->server_count; i > 1; i--) {
		size_t j = rng_below(i);
		struct topology_server tmp = t->servers[i - 1];

		t->servers[i - 1] = t->servers[j];
		t->servers[j] = tmp;
	}
}

static const char *
random_zone(int zones)
{
	static const char *const names[] = { "z0", "z1", "z2", "z3", "z4", "z5" };

	/* Now and then a server with no zone at all. */
	return rng_below(12) == 0 ? "" : names[rng_below((size_t)zones)];
}

/* A random valid cluster in mode; the options to plan it with in *o. */
static void
random_cluster(struct topology *t, enum topology_mode mode, struct plan_options *o)
{
	int x = mode == MODE_NO_REPLICATION ? 1 : 1 + (int)rng_below(5);
	int zones = 1 + (int)rng_below(6), vnodes = 1 + (int)rng_below(24);
	size_t shards = mode == MODE_MULTI_MASTER ? 0 : rng_below(6), s, k, n;
	char id[32];

	topo_start(t, mode, x, vnodes);
	for (s = 0; s < shards; s++) {
		int sh;

		snprintf(id, sizeof(id), "s%zu", 1 + s * (1 + rng_below(3)));
		if (topology_find_shard(t, id) >= 0)
			continue;
		sh = topology_add_shard(t, id, rng_below(8) == 0 ? SHARD_DOWN : SHARD_ACTIVE);
		for (k = 0; k < (size_t)x; k++) {
			snprintf(id, sizeof(id), "old%zu-%zu", s, k);
			server(t, id, random_zone(zones), rng_below(10) == 0 ? SERVER_DOWN : SERVER_UP,
			    k == 0 ? ROLE_PRIMARY : ROLE_REPLICA, sh);
		}
	}
	if (mode == MODE_MULTI_MASTER) {
		for (k = 0, n = rng_below(6); k < n; k++) {
			snprintf(id, sizeof(id), "mm%zu", k);
			server(t, id, random_zone(zones), SERVER_UP, ROLE_NONE, -1);
		}
	} else {
		for (k = 0, n = rng_below(4); k < n; k++) {
			int sh = mode == MODE_PRIMARY_REPLICA && t->shard_count > 0 && rng_below(3) != 0 ?
			    (int)rng_below(t->shard_count) : -1;

			snprintf(id, sizeof(id), "res%zu", k);
			server(t, id, random_zone(zones), rng_below(6) == 0 ? SERVER_DOWN : SERVER_UP,
			    ROLE_RESERVE, sh);
		}
	}
	ring_place(t, vnodes);
	for (k = 0, n = rng_below(22); k < n; k++) {
		snprintf(id, sizeof(id), "n%zu", rng_next() % 100000);
		if (topology_find_server(t, id) >= 0)
			continue;
		server(t, id, random_zone(zones), rng_below(8) == 0 ? SERVER_DOWN : SERVER_UP,
		    ROLE_NONE, -1);
	}
	shuffle_servers(t);

	memset(o, 0, sizeof(*o));
	o->confidence = PLAN_DEFAULT_CONFIDENCE;
	if (t->shard_count >= 1 && rng_below(4) == 0) {
		o->action = PLAN_REMOVE_SHARD;
		o->remove_shard = t->shards[rng_below(t->shard_count)].id;
		return;
	}
	switch (rng_below(3)) {
	case 0:
		o->reserve_source = PLAN_RESERVE_DEFAULT;
		break;
	case 1:
		o->reserve_source = PLAN_RESERVE_GIVEN;
		o->reserve = rng_below(6);
		break;
	default:
		o->reserve_source = PLAN_RESERVE_COMPUTED;
		o->crash_prob = (double)(1 + rng_below(200)) / 1000.0;
		o->confidence = rng_below(2) ? 0.99 : 0.9;
		break;
	}
}

static size_t
error_count(const struct topology *t)
{
	struct problems problems = { 0 };
	size_t n;

	topology_validate(t, &problems);
	n = problems_count(&problems, PROBLEM_ERROR);
	if (n > 0)
		problems_report(&problems, "test", 0);
	problems_free(&problems);
	return n;
}

/* ---- checking plans ------------------------------------------------------- */

static int
is_candidate(const struct topology_server *s)
{
	return s->state == SERVER_UP && s->role == ROLE_NONE && s->shard < 0 && s->token_count == 0;
}

static const char *
shard_id(const struct topology *t, int shard)
{
	return shard < 0 ? "" : t->shards[shard].id;
}

static const struct plan_reserve *
find_reserve(const struct plan *p, int server)
{
	size_t i;

	for (i = 0; i < p->reserve_assignment_count; i++)
		if (p->reserves[i].server == server)
			return &p->reserves[i];
	return NULL;
}

/* Tokens of every owner of before are unchanged in after (owners matched by id). */
static void
check_tokens_kept(const struct topology *before, const struct topology *after)
{
	int multi = before->mode == MODE_MULTI_MASTER;
	size_t i, n = multi ? before->server_count : before->shard_count;

	for (i = 0; i < n; i++) {
		const char *id = multi ? before->servers[i].id : before->shards[i].id;
		int j = multi ? topology_find_server(after, id) : topology_find_shard(after, id);
		const uint64_t *bt = multi ? before->servers[i].tokens : before->shards[i].tokens;
		size_t bc = multi ? before->servers[i].token_count : before->shards[i].token_count;

		if (j < 0 || bc == 0)
			continue;
		assert_int_equal(multi ? after->servers[j].token_count : after->shards[j].token_count, bc);
		assert_memory_equal(multi ? after->servers[j].tokens : after->shards[j].tokens, bt,
		    bc * sizeof(uint64_t));
	}
}

/* The owner id of hash on a ring of t. */
static const char *
owner_of(const struct ring *r, const char **ids, uint64_t hash)
{
	return ids[r->points[ring_find(r, hash)].owner];
}

static void
check_hash(const struct plan *p, const struct ring *rb, const char **bids,
    const struct ring *ra, const char **aids, uint64_t h)
{
	const char *from = owner_of(rb, bids, h), *to = owner_of(ra, aids, h);
	size_t i, k, hits = 0;

	for (i = 0; i < p->move_count; i++)
		for (k = 0; k < p->moves[i].range_count; k++)
			if (token_range_contains(&p->moves[i].ranges[k], h)) {
				hits++;
				assert_string_equal(p->moves[i].from, from);
				assert_string_equal(p->moves[i].to, to);
			}
	assert_int_equal(hits, strcmp(from, to) != 0 ? 1 : 0);
}

/*
 * The moves are exactly where owners differ: random hashes, and every token
 * of both rings and its neighbours (where off-by-one errors live).
 */
static void
check_moves(const struct topology *before, const struct plan *p, int samples)
{
	struct ring rb, ra;
	const char **bids = plan_owner_ids(before), **aids = plan_owner_ids(&p->result);
	double sum = 0, from_sum = 0, to_sum = 0;
	size_t i, k;
	int n;

	ring_build(&rb, before, RING_ALL);
	ring_build(&ra, &p->result, RING_ALL);
	if (rb.count == 0 || ra.count == 0) {
		assert_int_equal(p->move_count, 0);
	} else {
		for (n = 0; n < samples; n++)
			check_hash(p, &rb, bids, &ra, aids, rng_next());
		for (i = 0; i < rb.count; i++) {
			check_hash(p, &rb, bids, &ra, aids, rb.points[i].token);
			check_hash(p, &rb, bids, &ra, aids, rb.points[i].token + 1);
		}
		for (i = 0; i < ra.count; i++) {
			check_hash(p, &rb, bids, &ra, aids, ra.points[i].token);
			check_hash(p, &rb, bids, &ra, aids, ra.points[i].token + 1);
		}
	}
	for (i = 0; i < p->move_count; i++) {
		double f = 0;

		assert_true(p->moves[i].range_count > 0);
		for (k = 0; k < p->moves[i].range_count; k++)
			f += token_range_fraction(&p->moves[i].ranges[k]);
		assert_true(fabs(f - p->moves[i].fraction) < 1e-12);
		sum += p->moves[i].fraction;
	}
	for (i = 0; i < p->moved_from_count; i++)
		from_sum += p->moved_from[i].fraction;
	for (i = 0; i < p->moved_to_count; i++)
		to_sum += p->moved_to[i].fraction;
	assert_true(fabs(sum - p->moved_fraction) < 1e-9);
	assert_true(fabs(from_sum - p->moved_fraction) < 1e-9);
	assert_true(fabs(to_sum - p->moved_fraction) < 1e-9);
	assert_true(p->moved_fraction >= 0 && p->moved_fraction <= 1.0 + 1e-12);
	ring_free(&rb);
	ring_free(&ra);
	free(bids);
	free(aids);
}

/* Each zone's servers are dealt over the new shards evenly: floor or ceil each. */
static void
check_zone_spread(const struct plan *p)
{
	const struct topology *r = &p->result;
	size_t s, i, j, S = p->new_shard_count;

	for (s = 0; s < S; s++) {
		const struct plan_shard *ns = &p->new_shards[s];

		for (i = 0; i <= ns->replica_count; i++) {
			const char *zone = r->servers[i == 0 ? ns->primary : ns->replicas[i - 1]].zone;
			size_t in_shard = 0, in_all = 0;

			for (j = 0; j < r->server_count; j++) {
				if (strcmp(r->servers[j].zone, zone) != 0 ||
				    r->servers[j].role == ROLE_RESERVE)
					continue;
				for (size_t t = 0; t < S; t++)
					if (r->servers[j].shard == p->new_shards[t].shard) {
						in_all++;
						in_shard += t == s;
					}
			}
			assert_true(in_shard >= in_all / S);
			assert_true(in_shard <= (in_all + S - 1) / S);
		}
	}
}

static void
check_add(const struct topology *in, const struct plan_options *o, const struct plan *p)
{
	const struct topology *r = &p->result;
	int multi = in->mode == MODE_MULTI_MASTER;
	int x = in->mode == MODE_NO_REPLICATION ? 1 : in->replication_factor;
	uint64_t have = 0, need, target = p->reserve_target;
	size_t i, s, n = 0, in_new = 0, expect_shards = 0, reserves_from_new = 0;

	for (i = 0; i < in->server_count; i++) {
		n += (size_t)is_candidate(&in->servers[i]);
		if (!multi)
			have += in->servers[i].role == ROLE_RESERVE && in->servers[i].state == SERVER_UP;
	}
	if (o->reserve_source == PLAN_RESERVE_GIVEN)
		assert_true(target == o->reserve);
	if (o->reserve_source == PLAN_RESERVE_DEFAULT)
		assert_true(target == 0);
	need = target > have ? target - have : 0;
	if (!multi && n > need)
		expect_shards = (n - (size_t)need) / (size_t)x;
	assert_int_equal(p->new_shard_count, expect_shards);
	assert_int_equal(r->shard_count, in->shard_count + expect_shards);

	/* Every new shard: one primary, x - 1 replicas, all former candidates. */
	for (s = 0; s < p->new_shard_count; s++) {
		const struct plan_shard *ns = &p->new_shards[s];
		size_t primaries = 0, replicas = 0;

		assert_int_equal(ns->replica_count, (size_t)x - 1);
		for (i = 0; i < r->server_count; i++) {
			if (r->servers[i].shard != ns->shard)
				continue;
			/* Reserves attached here come from the plan too. */
			assert_true(r->servers[i].role != ROLE_RESERVE || find_reserve(p, (int)i));
			if (r->servers[i].role == ROLE_RESERVE)
				continue;
			assert_true(is_candidate(&in->servers[i]));
			primaries += r->servers[i].role == ROLE_PRIMARY;
			replicas += r->servers[i].role == ROLE_REPLICA;
		}
		assert_int_equal(primaries, 1);
		assert_int_equal(replicas, (size_t)x - 1);
		assert_int_equal(r->servers[ns->primary].role, ROLE_PRIMARY);
		assert_int_equal(r->shards[ns->shard].token_count, (size_t)in->vnodes);
		assert_int_equal(r->shards[ns->shard].state, SHARD_ACTIVE);
	}
	check_zone_spread(p);

	/* Every server accounted for; nobody outside the plan changed. */
	for (i = 0; i < r->server_count; i++) {
		const struct topology_server *a = &r->servers[i], *b = &in->servers[i];
		const struct plan_reserve *pr = find_reserve(p, (int)i);
		int member = 0;

		assert_string_equal(a->id, b->id);
		for (s = 0; s < p->new_shard_count; s++)
			member |= a->shard == p->new_shards[s].shard && a->role != ROLE_RESERVE;
		for (s = 0; s < p->new_member_count; s++)
			member |= p->new_members[s] == (int)i;
		assert_false(member && pr != NULL);
		in_new += (size_t)member;
		if (pr != NULL) {
			assert_int_equal(pr->shard, a->shard);
			reserves_from_new += (size_t)is_candidate(b);
			if (!multi)
				assert_int_equal(a->role, ROLE_RESERVE);
			if (in->mode == MODE_PRIMARY_REPLICA)
				assert_true((a->shard >= 0) == (r->shard_count > 0));
			else
				assert_int_equal(a->shard, -1);
		} else if (!member) {
			assert_int_equal(a->role, b->role);
			assert_string_equal(shard_id(r, a->shard), shard_id(in, b->shard));
			assert_false(is_candidate(b) && !multi);
		}
	}
	assert_int_equal(in_new + reserves_from_new, n);
	if (multi) {
		assert_int_equal(p->new_member_count, n - (size_t)(need < n ? need : n));
		for (s = 0; s < p->new_member_count; s++)
			assert_int_equal(r->servers[p->new_members[s]].token_count, (size_t)in->vnodes);
	}

	/* The reserve target is kept first; only a shortage leaves it short. */
	assert_true(p->reserve_count == have + reserves_from_new);
	if (p->reserve_count < target)
		assert_int_equal(reserves_from_new, n);
	assert_true((p->reserve_count < target) == (p->note_count > 0 &&
	    strstr(p->notes[p->note_count - 1], "not reached") != NULL));

	/* Only the new owners take keys: they take exactly what the ring gives them. */
	if (in->shard_count > 0 || multi) {
		struct ring ra;
		double *own, taken = 0;

		ring_build(&ra, r, RING_ALL);
		own = calloc(ra.owner_count + 1, sizeof(double));
		ring_ownership(&ra, own);
		for (s = 0; s < p->new_shard_count; s++)
			taken += own[p->new_shards[s].shard];
		for (s = 0; s < p->new_member_count; s++)
			taken += own[p->new_members[s]];
		if (ra.count > 0 && p->move_count > 0)
			assert_true(fabs(taken - p->moved_fraction) < 1e-9);
		free(own);
		ring_free(&ra);
	}
}

static void
check_remove(const struct topology *in, const struct plan_options *o, const struct plan *p)
{
	const struct topology *r = &p->result;
	int gone = topology_find_shard(in, o->remove_shard);
	size_t i, members = 0;

	assert_true(gone >= 0);
	assert_int_equal(topology_find_shard(r, o->remove_shard), -1);
	assert_int_equal(r->shard_count, in->shard_count - 1);
	for (i = 0; i < in->server_count; i++) {
		if (in->servers[i].shard != gone)
			continue;
		members++;
		assert_int_equal(r->servers[i].role, ROLE_RESERVE);
		assert_non_null(find_reserve(p, (int)i));
		if (in->mode == MODE_PRIMARY_REPLICA)
			assert_true(r->servers[i].shard >= 0);
		else
			assert_int_equal(r->servers[i].shard, -1);
	}
	assert_int_equal(p->removed_server_count, members);
	assert_int_equal(p->reserve_assignment_count, members);
	for (i = 0; i < p->move_count; i++)
		assert_string_equal(p->moves[i].from, o->remove_shard);
	if (in->shards[gone].token_count > 0) {
		struct ring rb;
		double *own;

		ring_build(&rb, in, RING_ALL);
		own = calloc(rb.owner_count, sizeof(double));
		ring_ownership(&rb, own);
		assert_true(fabs(own[gone] - p->moved_fraction) < 1e-9);
		free(own);
		ring_free(&rb);
	}
}

static void
check_plan(const struct topology *in, const struct plan_options *o, const struct plan *p)
{
	json_t *doc;
	struct topology back;
	struct problems problems = { 0 };

	assert_int_equal(error_count(&p->result), 0);
	assert_int_equal(p->base_version, in->version);
	assert_true(p->result.version == in->version || p->result.version == in->version + 1);
	if (p->new_shard_count + p->new_member_count + p->reserve_assignment_count > 0)
		assert_true(p->result.version == in->version + 1);
	check_tokens_kept(in, &p->result);
	check_moves(in, p, 300);
	if (o->action == PLAN_ADD)
		check_add(in, o, p);
	else
		check_remove(in, o, p);

	/* The document's topology loads back as a valid topology. */
	doc = plan_to_json(p);
	assert_string_equal(json_string_value(json_object_get(doc, "format")), PLAN_FORMAT);
	assert_int_equal(topology_from_json(json_object_get(doc, "topology"), &back, &problems), 0);
	assert_int_equal(problems_count(&problems, PROBLEM_ERROR), 0);
	assert_int_equal(back.shard_count, p->result.shard_count);
	assert_int_equal(json_array_size(json_object_get(doc, "moves")), p->move_count);
	topology_free(&back);
	problems_free(&problems);
	json_decref(doc);
}

static void
run_random_cases(enum topology_mode mode, int cases, uint64_t seed)
{
	int c;

	for (c = 0; c < cases; c++) {
		struct topology t;
		struct plan_options o;
		struct plan p;
		char why[256] = "";
		int rc;

		rng_state = seed + (uint64_t)c;
		random_cluster(&t, mode, &o);
		assert_int_equal(error_count(&t), 0);
		rc = plan_build(&t, &o, &p, why, sizeof(why));
		if (o.action == PLAN_REMOVE_SHARD && t.shard_count == 1) {
			assert_int_equal(rc, EXIT_STATUS_INPUT);
			assert_non_null(strstr(why, "last shard"));
		} else {
			if (rc != 0)
				fail_msg("case %d: %s", c, why);
			check_plan(&t, &o, &p);
			plan_free(&p);
		}
		topology_free(&t);
	}
}

static void
plan_build__random_primary_replica_clusters__keep_every_invariant(void **state)
{
	(void)state;
	run_random_cases(MODE_PRIMARY_REPLICA, 300, 1000);
}

static void
plan_build__random_no_replication_clusters__keep_every_invariant(void **state)
{
	(void)state;
	run_random_cases(MODE_NO_REPLICATION, 150, 5000);
}

static void
plan_build__random_multi_master_clusters__keep_every_invariant(void **state)
{
	(void)state;
	run_random_cases(MODE_MULTI_MASTER, 150, 9000);
}

/* The same cluster with its servers in another order gives the same plan. */
static void
plan_build__servers_in_any_order__give_the_same_plan(void **state)
{
	int c;

	(void)state;
	for (c = 0; c < 60; c++) {
		struct topology t, u;
		struct plan_options o;
		struct plan p, q;
		char why[256];
		json_t *a, *b;
		size_t s, k;

		rng_state = 20000 + (uint64_t)c;
		random_cluster(&t, MODE_PRIMARY_REPLICA, &o);
		o.action = PLAN_ADD;
		topology_copy(&u, &t);
		shuffle_servers(&u);
		assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), 0);
		assert_int_equal(plan_build(&u, &o, &q, why, sizeof(why)), 0);
		assert_int_equal(p.new_shard_count, q.new_shard_count);
		for (s = 0; s < p.new_shard_count; s++) {
			assert_string_equal(p.result.servers[p.new_shards[s].primary].id,
			    q.result.servers[q.new_shards[s].primary].id);
			for (k = 0; k < p.new_shards[s].replica_count; k++)
				assert_string_equal(p.result.servers[p.new_shards[s].replicas[k]].id,
				    q.result.servers[q.new_shards[s].replicas[k]].id);
		}
		for (s = 0; s < p.reserve_assignment_count; s++) {
			assert_string_equal(p.result.servers[p.reserves[s].server].id,
			    q.result.servers[q.reserves[s].server].id);
			assert_string_equal(shard_id(&p.result, p.reserves[s].shard),
			    shard_id(&q.result, q.reserves[s].shard));
		}
		a = plan_to_json(&p);
		b = plan_to_json(&q);
		assert_true(json_equal(json_object_get(a, "moves"), json_object_get(b, "moves")));
		json_decref(a);
		json_decref(b);
		plan_free(&p);
		plan_free(&q);
		topology_free(&t);
		topology_free(&u);
	}
}

/* ---- the seed's cases and the edges ----------------------------------------- */

static struct plan_options
reserve_option(uint64_t n)
{
	struct plan_options o = { .action = PLAN_ADD, .reserve_source = PLAN_RESERVE_GIVEN,
	    .reserve = n, .confidence = PLAN_DEFAULT_CONFIDENCE };

	return o;
}

static void
build_ok(const struct topology *t, const struct plan_options *o, struct plan *p)
{
	char why[256] = "";

	if (plan_build(t, o, p, why, sizeof(why)) != 0)
		fail_msg("plan_build: %s", why);
	check_plan(t, o, p);
}

static size_t
reserves_of(const struct topology *t, const char *shard)
{
	size_t i, n = 0;

	for (i = 0; i < t->server_count; i++)
		n += t->servers[i].role == ROLE_RESERVE && t->servers[i].shard >= 0 &&
		    strcmp(t->shards[t->servers[i].shard].id, shard) == 0;
	return n;
}

static void
plan_build__seed_example_rf4_eight_servers__forms_two_shards(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 4, 64);
	full_shard(&t, "s1", 4);
	new_servers(&t, 8, 4);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	assert_string_equal(p.result.shards[p.new_shards[0].shard].id, "s2");
	assert_string_equal(p.result.shards[p.new_shards[1].shard].id, "s3");
	assert_int_equal(p.reserve_assignment_count, 0);
	/* Both new shards take from s1, about a third each. */
	assert_int_equal(p.moved_from_count, 1);
	assert_string_equal(p.moved_from[0].owner, "s1");
	assert_int_equal(p.moved_to_count, 2);
	assert_true(fabs(p.moved_fraction - 2.0 / 3.0) < 0.02);
	assert_true(p.result.version == t.version + 1);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__remainder__becomes_reserves_spread_over_shards(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 4, 16);
	new_servers(&t, 10, 4);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	assert_int_equal(p.reserve_assignment_count, 2);
	assert_int_equal(p.reserve_count, 2);
	assert_int_equal(reserves_of(&p.result, "s1"), 1);
	assert_int_equal(reserves_of(&p.result, "s2"), 1);
	assert_int_equal(p.move_count, 0);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__reserve_target__is_kept_before_shards_are_formed(void **state)
{
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	new_servers(&t, 7, 3);
	build_ok(&t, &o, &p);
	/* 7 - 2 kept = 5: one shard of 3, the 2 left over are reserves too. */
	assert_int_equal(p.new_shard_count, 1);
	assert_int_equal(p.reserve_count, 4);
	assert_int_equal(p.note_count, 0);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__existing_reserves__count_toward_the_target(void **state)
{
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 16);
	full_shard(&t, "s1", 2);
	server(&t, "r1", "z0", SERVER_UP, ROLE_RESERVE, 0);
	server(&t, "r2", "z1", SERVER_DOWN, ROLE_RESERVE, 0);
	new_servers(&t, 3, 2);
	build_ok(&t, &o, &p);
	/* r1 counts, r2 (down) does not: one more reserve, one new shard. */
	assert_int_equal(p.new_shard_count, 1);
	assert_int_equal(p.reserve_count, 2);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__too_few_servers__forms_no_shard_and_says_so(void **state)
{
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	new_servers(&t, 4, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 0);
	assert_int_equal(p.reserve_count, 4);
	assert_int_equal(p.note_count, 1);
	assert_non_null(strstr(p.notes[0], "not enough new servers to form a shard"));
	/* With no shard at all, reserves wait with no shard. */
	for (i = 0; i < p.reserve_assignment_count; i++)
		assert_int_equal(p.reserves[i].shard, -1);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__fewer_servers_than_the_target__all_become_reserves_with_a_note(void **state)
{
	struct plan_options o = reserve_option(5);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 16);
	full_shard(&t, "s1", 2);
	new_servers(&t, 3, 2);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 0);
	assert_int_equal(p.reserve_count, 3);
	assert_int_equal(reserves_of(&p.result, "s1"), 3);
	assert_non_null(strstr(p.notes[p.note_count - 1], "reserve target 5 not reached: 3 reserves"));
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__zones__give_every_shard_distinct_zones_where_possible(void **state)
{
	static const char *const zones[] = { "a", "a", "b", "b", "c", "c" };
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	size_t i, s;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	for (i = 0; i < 6; i++) {
		char id[16];

		snprintf(id, sizeof(id), "x%zu", i);
		server(&t, id, zones[i], SERVER_UP, ROLE_NONE, -1);
	}
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	for (s = 0; s < 2; s++) {
		const struct plan_shard *ns = &p.new_shards[s];
		const char *z0 = p.result.servers[ns->primary].zone;
		const char *z1 = p.result.servers[ns->replicas[0]].zone;
		const char *z2 = p.result.servers[ns->replicas[1]].zone;

		assert_true(strcmp(z0, z1) != 0 && strcmp(z0, z2) != 0 && strcmp(z1, z2) != 0);
	}
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__reserves__are_taken_from_the_largest_zone(void **state)
{
	static const char *const zones[] = { "a", "a", "a", "b", "c" };
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	for (i = 0; i < 5; i++) {
		char id[16];

		snprintf(id, sizeof(id), "x%zu", i);
		server(&t, id, zones[i], SERVER_UP, ROLE_NONE, -1);
	}
	build_ok(&t, &o, &p);
	/* Keeping two of "a" back leaves a, b, c for the shard. */
	assert_int_equal(p.new_shard_count, 1);
	assert_string_equal(p.result.servers[p.reserves[0].server].zone, "a");
	assert_string_equal(p.result.servers[p.reserves[1].server].zone, "a");
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__primaries__spread_over_zones(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	new_servers(&t, 9, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 3);
	assert_string_equal(p.result.servers[p.new_shards[0].primary].zone, "z0");
	assert_string_equal(p.result.servers[p.new_shards[1].primary].zone, "z1");
	assert_string_equal(p.result.servers[p.new_shards[2].primary].zone, "z2");
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__reserves__attach_to_the_shards_with_fewest(void **state)
{
	struct plan_options o = reserve_option(6);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 16);
	full_shard(&t, "s1", 1);
	full_shard(&t, "s2", 1);
	full_shard(&t, "s3", 1);
	server(&t, "r1", "z0", SERVER_UP, ROLE_RESERVE, 0);
	server(&t, "r2", "z0", SERVER_UP, ROLE_RESERVE, 0);
	server(&t, "r3", "z0", SERVER_UP, ROLE_RESERVE, 2);
	new_servers(&t, 3, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 0);
	assert_int_equal(reserves_of(&p.result, "s1"), 2);
	assert_int_equal(reserves_of(&p.result, "s2"), 2);
	assert_int_equal(reserves_of(&p.result, "s3"), 2);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__shard_ids__continue_after_the_highest_number(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	char why[256];

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 8);
	full_shard(&t, "s1", 1);
	full_shard(&t, "s3", 1);
	full_shard(&t, "east-7x", 1);
	new_servers(&t, 2, 2);
	build_ok(&t, &o, &p);
	assert_string_equal(p.result.shards[p.new_shards[0].shard].id, "s4");
	assert_string_equal(p.result.shards[p.new_shards[1].shard].id, "s5");
	plan_free(&p);
	o.shard_prefix = "east-";
	build_ok(&t, &o, &p);
	assert_string_equal(p.result.shards[p.new_shards[0].shard].id, "east-1");
	plan_free(&p);
	o.shard_prefix = "-bad";
	assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), EXIT_STATUS_USAGE);
	assert_non_null(strstr(why, "invalid --shard-prefix \"-bad\""));
	topology_free(&t);
}

static void
plan_build__remove_shard__hands_ranges_to_successors_and_servers_to_reserves(void **state)
{
	struct plan_options o = { .action = PLAN_REMOVE_SHARD, .remove_shard = "s2" };
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 32);
	full_shard(&t, "s1", 3);
	full_shard(&t, "s2", 3);
	full_shard(&t, "s3", 3);
	build_ok(&t, &o, &p);
	assert_string_equal(p.removed_shard, "s2");
	assert_int_equal(p.removed_server_count, 3);
	assert_int_equal(p.moved_from_count, 1);
	assert_int_equal(p.moved_to_count, 2);
	/* Three reserves over two shards: two and one. */
	assert_int_equal(reserves_of(&p.result, "s1") + reserves_of(&p.result, "s3"), 3);
	assert_true(reserves_of(&p.result, "s1") >= 1 && reserves_of(&p.result, "s3") >= 1);
	assert_true(fabs(p.moved_fraction - 1.0 / 3.0) < 0.02);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__remove_unknown_or_last_shard__is_bad_input(void **state)
{
	struct plan_options o = { .action = PLAN_REMOVE_SHARD, .remove_shard = "s9" };
	struct topology t;
	struct plan p;
	char why[256];

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 8);
	full_shard(&t, "s1", 1);
	assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), EXIT_STATUS_INPUT);
	assert_string_equal(why, "cannot remove shard \"s9\": no such shard");
	o.remove_shard = "s1";
	assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), EXIT_STATUS_INPUT);
	assert_string_equal(why,
	    "cannot remove shard \"s1\": it is the last shard and would leave the ring empty");
	topology_free(&t);
}

static void
plan_build__crash_prob__reserves_for_every_server_of_the_result(void **state)
{
	struct plan_options o = { .action = PLAN_ADD, .reserve_source = PLAN_RESERVE_COMPUTED,
	    .crash_prob = 0.05, .confidence = 0.99 };
	struct reserve_request req = { .crash_prob = 0.05, .confidence = 0.99 };
	struct reserve_result res;
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	full_shard(&t, "s1", 3);
	new_servers(&t, 40, 3);
	/* Out of service: a down server is not one the reserve covers. */
	server(&t, "gone", "z0", SERVER_DOWN, ROLE_NONE, -1);
	req.servers = 43;
	assert_int_equal(reserve_compute(&req, &res), 0);
	assert_true(res.reserve > 0);
	build_ok(&t, &o, &p);
	assert_true(p.reserve_target == res.reserve);
	assert_true(p.reserve_request.servers == 43);
	assert_true(p.reserve_count >= res.reserve && p.reserve_count < res.reserve + 3);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__one_new_shard__takes_its_share_from_every_shard(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 256);
	for (i = 0; i < 4; i++) {
		char id[8];

		snprintf(id, sizeof(id), "s%zu", i + 1);
		full_shard(&t, id, 2);
	}
	new_servers(&t, 2, 2);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 1);
	assert_int_equal(p.moved_from_count, 4);
	assert_true(fabs(p.moved_fraction - 0.2) < 0.01);
	for (i = 0; i < 4; i++)
		assert_true(fabs(p.moved_from[i].fraction - 0.05) < 0.01);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__no_replication__makes_a_shard_per_server_and_spare_reserves(void **state)
{
	struct plan_options o = reserve_option(1);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_NO_REPLICATION, 1, 16);
	full_shard(&t, "s1", 1);
	new_servers(&t, 3, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	assert_int_equal(p.reserve_assignment_count, 1);
	assert_int_equal(p.reserves[0].shard, -1);
	assert_int_equal(p.new_shards[0].replica_count, 0);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__multi_master__puts_new_servers_on_the_ring(void **state)
{
	struct plan_options o = reserve_option(1);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_MULTI_MASTER, 3, 16);
	server(&t, "A", "z0", SERVER_UP, ROLE_NONE, -1);
	server(&t, "B", "z1", SERVER_UP, ROLE_NONE, -1);
	server(&t, "C", "z2", SERVER_UP, ROLE_NONE, -1);
	ring_place(&t, t.vnodes);
	new_servers(&t, 3, 3);
	build_ok(&t, &o, &p);
	/* One kept off the ring as the reserve, two join. */
	assert_int_equal(p.new_member_count, 2);
	assert_int_equal(p.reserve_count, 1);
	assert_int_equal(p.moved_to_count, 2);
	for (i = 0; i < p.move_count; i++)
		assert_true(strcmp(p.moves[i].from, "A") == 0 || strcmp(p.moves[i].from, "B") == 0 ||
		    strcmp(p.moves[i].from, "C") == 0);
	assert_true(fabs(p.moved_fraction - 0.4) < 0.03);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__nothing_new__changes_nothing_and_keeps_the_version(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	json_t *a, *b;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 16);
	full_shard(&t, "s1", 2);
	server(&t, "down1", "z0", SERVER_DOWN, ROLE_NONE, -1);
	build_ok(&t, &o, &p);
	assert_true(p.result.version == t.version);
	assert_int_equal(p.move_count, 0);
	assert_int_equal(p.unassigned_count, 1);
	a = topology_to_json(&t);
	b = topology_to_json(&p.result);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_to_json__moves__are_sixteen_hex_digit_ranges(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	json_t *doc, *range;
	const char *start;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 4);
	full_shard(&t, "s1", 1);
	new_servers(&t, 1, 1);
	build_ok(&t, &o, &p);
	doc = plan_to_json(&p);
	assert_string_equal(json_string_value(json_object_get(doc, "action")), "add");
	assert_int_equal(json_integer_value(json_object_get(doc, "base_version")), 5);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 6);
	range = json_array_get(json_object_get(json_array_get(json_object_get(doc, "moves"), 0),
	    "ranges"), 0);
	start = json_string_value(json_object_get(range, "start"));
	assert_non_null(start);
	assert_int_equal(strlen(start), 16);
	assert_int_equal(strspn(start, "0123456789abcdef"), 16);
	assert_true(json_is_null(json_object_get(doc, "removed_shard")));
	assert_true(json_is_null(json_object_get(doc, "reserve_model")));
	json_decref(doc);
	plan_free(&p);
	topology_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_build__random_primary_replica_clusters__keep_every_invariant),
		cmocka_unit_test(plan_build__random_no_replication_clusters__keep_every_invariant),
		cmocka_unit_test(plan_build__random_multi_master_clusters__keep_every_invariant),
		cmocka_unit_test(plan_build__servers_in_any_order__give_the_same_plan),
		cmocka_unit_test(plan_build__seed_example_rf4_eight_servers__forms_two_shards),
		cmocka_unit_test(plan_build__remainder__becomes_reserves_spread_over_shards),
		cmocka_unit_test(plan_build__reserve_target__is_kept_before_shards_are_formed),
		cmocka_unit_test(plan_build__existing_reserves__count_toward_the_target),
		cmocka_unit_test(plan_build__too_few_servers__forms_no_shard_and_says_so),
		cmocka_unit_test(plan_build__fewer_servers_than_the_target__all_become_reserves_with_a_note),
		cmocka_unit_test(plan_build__zones__give_every_shard_distinct_zones_where_possible),
		cmocka_unit_test(plan_build__reserves__are_taken_from_the_largest_zone),
		cmocka_unit_test(plan_build__primaries__spread_over_zones),
		cmocka_unit_test(plan_build__reserves__attach_to_the_shards_with_fewest),
		cmocka_unit_test(plan_build__shard_ids__continue_after_the_highest_number),
		cmocka_unit_test(plan_build__remove_shard__hands_ranges_to_successors_and_servers_to_reserves),
		cmocka_unit_test(plan_build__remove_unknown_or_last_shard__is_bad_input),
		cmocka_unit_test(plan_build__crash_prob__reserves_for_every_server_of_the_result),
		cmocka_unit_test(plan_build__one_new_shard__takes_its_share_from_every_shard),
		cmocka_unit_test(plan_build__no_replication__makes_a_shard_per_server_and_spare_reserves),
		cmocka_unit_test(plan_build__multi_master__puts_new_servers_on_the_ring),
		cmocka_unit_test(plan_build__nothing_new__changes_nothing_and_keeps_the_version),
		cmocka_unit_test(plan_to_json__moves__are_sixteen_hex_digit_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
