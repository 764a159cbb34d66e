/* plan_check.h -- what test_plan.c and test_plan_cases.c share: cluster builders and plan checks
 *
 * Every plan a test builds goes through check_plan(), which checks the
 * plan's invariants against the topologies and rings themselves, never
 * against the planner's own bookkeeping alone.  Each test file uses part of
 * these helpers, hence PLAN_CHECK marks them as possibly unused.
 */
#ifndef SHARDKIT_TEST_PLAN_CHECK_H
#define SHARDKIT_TEST_PLAN_CHECK_H

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

#define PLAN_CHECK static __attribute__((unused))

static uint64_t rng_state __attribute__((unused));

PLAN_CHECK uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

PLAN_CHECK size_t
rng_below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng_next() % n);
}

/* ---- building topologies ---------------------------------------------------- */

static int next_port __attribute__((unused));

PLAN_CHECK void
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

PLAN_CHECK int
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
PLAN_CHECK void
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
PLAN_CHECK int
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

PLAN_CHECK void
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

PLAN_CHECK size_t
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

PLAN_CHECK int
is_candidate(const struct topology_server *s)
{
	return s->state == SERVER_UP && s->role == ROLE_NONE && s->shard < 0 && s->token_count == 0;
}

PLAN_CHECK const char *
shard_id(const struct topology *t, int shard)
{
	return shard < 0 ? "" : t->shards[shard].id;
}

PLAN_CHECK const struct plan_reserve *
find_reserve(const struct plan *p, int server)
{
	size_t i;

	for (i = 0; i < p->reserve_assignment_count; i++)
		if (p->reserves[i].server == server)
			return &p->reserves[i];
	return NULL;
}

/* Tokens of every owner of before are unchanged in after (owners matched by id). */
PLAN_CHECK void
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
PLAN_CHECK const char *
owner_of(const struct ring *r, const char **ids, uint64_t hash)
{
	return ids[r->points[ring_find(r, hash)].owner];
}

PLAN_CHECK void
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
PLAN_CHECK void
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
PLAN_CHECK void
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

PLAN_CHECK void
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

PLAN_CHECK void
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

/* The version moves on exactly when the document changes. */
PLAN_CHECK void
check_version(const struct topology *in, const struct plan *p)
{
	struct topology same;
	json_t *a, *b;
	int differs;

	topology_copy(&same, &p->result);
	same.version = in->version;
	a = topology_to_json(in);
	b = topology_to_json(&same);
	differs = !json_equal(a, b);
	assert_true(p->result.version == in->version + (differs ? 1 : 0));
	/* Shards formed, members placed or roles given always change it. */
	if (p->new_shard_count + p->new_member_count > 0 ||
	    (in->mode != MODE_MULTI_MASTER && p->reserve_assignment_count > 0))
		assert_true(differs);
	json_decref(a);
	json_decref(b);
	topology_free(&same);
}

PLAN_CHECK void
check_plan(const struct topology *in, const struct plan_options *o, const struct plan *p)
{
	json_t *doc;
	struct topology back;
	struct problems problems = { 0 };

	assert_int_equal(error_count(&p->result), 0);
	assert_int_equal(p->base_version, in->version);
	check_version(in, p);
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

#endif
