/* test_orchestrate_property.c -- the planner over random clusters and sweeps
 *
 * Thousands of random topologies (modes, shard sizes, states, reserves,
 * servers already down or fenced) with random sweeps (reachability, roles
 * that disagree with the topology, tied WAL positions, stale documents).
 * Every plan must pass check_plan() (no reserve promoted, the result
 * validates, so never two primaries in a shard), its document must load
 * back as a topology, and every shard whose primary is lost while an
 * active replica is reachable, with no ambiguity, gets exactly one promote.
 */

#include "orchestrate_fixture.h"

#define ITERATIONS 4000

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* 0 .. n-1 */
static int
pick(int n)
{
	return (int)(rng_next() % (uint64_t)n);
}

static int
chance(int percent)
{
	return pick(100) < percent;
}

static void
random_member(struct fixture *f, const char *shard_id, enum server_role role)
{
	static const enum server_state states[] = { SERVER_UP, SERVER_UP, SERVER_UP, SERVER_DOWN,
		SERVER_FENCED, SERVER_JOINING };
	char id[16];

	snprintf(id, sizeof(id), "pg%zu", f->topo.server_count + 1);
	server(f, id, shard_id, role, states[pick(6)]);
}

static void
random_cluster(struct fixture *f)
{
	int replication = chance(20), shards = 1 + pick(4), s, k;
	char id[16];

	fixture_init(f, replication ? MODE_NO_REPLICATION : MODE_PRIMARY_REPLICA,
	    replication ? 1 : 1 + pick(3));
	for (s = 0; s < shards; s++) {
		snprintf(id, sizeof(id), "s%d", s + 1);
		random_member(f, id, ROLE_PRIMARY);
		if (replication) {
			if (f->topo.servers[f->topo.server_count - 1].state != SERVER_UP && chance(50))
				f->topo.shards[s].state = SHARD_DOWN;
			continue;
		}
		for (k = pick(4); k > 0; k--)
			random_member(f, id, ROLE_REPLICA);
		for (k = pick(3); k > 0; k--)
			random_member(f, id, ROLE_RESERVE);
	}
	for (k = pick(3); k > 0; k--)
		random_member(f, NULL, chance(30) ? ROLE_RESERVE : ROLE_NONE);
}

static void
random_sweep(struct fixture *f)
{
	static const uint64_t positions[] = { 0, 0x100, 0x200, 0x300 };
	size_t i;

	f->threshold = 1 + pick(3);
	f->reserve_target = pick(4);
	if (chance(4))
		f->health.topology_version = f->topo.version - 1;
	for (i = 0; i < f->topo.server_count; i++) {
		struct health_observation *o = &f->health.servers[i];

		if (chance(35)) {
			down(f, o->id, 1 + pick(4));
			continue;
		}
		if (chance(8))
			o->observed = o->observed == HEALTH_ROLE_PRIMARY ?
			    HEALTH_ROLE_REPLICA : HEALTH_ROLE_PRIMARY;
		o->received_lsn = positions[pick(4)];
		o->replayed_lsn = positions[pick(4)];
		o->current_lsn = o->observed == HEALTH_ROLE_PRIMARY ? positions[pick(4)] : 0;
	}
}

static int
is_lost(const struct fixture *f, int i)
{
	enum server_state st = f->topo.servers[i].state;

	return (st == SERVER_UP || st == SERVER_JOINING || st == SERVER_DRAINING) &&
	    !f->health.servers[i].reachable && f->failures[i] >= f->threshold;
}

/* Exactly one promote where it is owed; never more than one per shard. */
static void
check_promotions(const struct fixture *f)
{
	size_t s, i, a;

	for (s = 0; s < f->topo.shard_count; s++) {
		int primary = topology_shard_primary(&f->topo, (int)s);
		int candidates = 0, claiming = 0, promotes = 0;

		for (i = 0; i < f->topo.server_count; i++) {
			const struct topology_server *sv = &f->topo.servers[i];
			const struct health_observation *o = &f->health.servers[i];

			if (sv->shard != (int)s || !o->reachable)
				continue;
			claiming += o->observed == HEALTH_ROLE_PRIMARY;
			candidates += sv->role == ROLE_REPLICA && sv->state == SERVER_UP &&
			    o->observed == HEALTH_ROLE_REPLICA;
		}
		for (a = 0; a < f->plan.count; a++)
			promotes += f->plan.actions[a].kind == ACTION_PROMOTE &&
			    f->plan.actions[a].shard == (int)s;
		assert_true(promotes <= 1);
		if (promotes == 1)
			assert_true(primary >= 0 && is_lost(f, primary));
		if (f->topo.mode == MODE_PRIMARY_REPLICA && !f->plan.mismatch && primary >= 0 &&
		    is_lost(f, primary) && claiming == 0 && candidates > 0)
			assert_int_equal(promotes, 1);
	}
}

/* The document renders, and its topology loads back as the same result. */
static void
check_document(const struct fixture *f)
{
	struct problems problems = { 0 };
	json_t *doc = orchestrate_plan_json(&f->plan, &f->in);
	struct topology back;

	assert_int_equal(json_array_size(json_object_get(doc, "actions")), f->plan.count);
	assert_int_equal(topology_from_json(json_object_get(doc, "topology"), &back, &problems), 0);
	assert_int_equal(back.version, f->plan.result.version);
	topology_free(&back);
	problems_free(&problems);
	json_decref(doc);
}

/*
 * The executor publishes the effects of the actions it carried out
 * (action_effect): all of them, in order, must give the planner's result.
 */
static void
check_effects(const struct fixture *f)
{
	struct topology t;
	size_t a, i;

	topology_copy(&t, &f->topo);
	for (a = 0; a < f->plan.count; a++)
		action_effect(&t, &f->plan.actions[a]);
	for (i = 0; i < t.server_count; i++) {
		assert_int_equal(t.servers[i].state, f->plan.result.servers[i].state);
		assert_int_equal(t.servers[i].role, f->plan.result.servers[i].role);
		assert_int_equal(t.servers[i].shard, f->plan.result.servers[i].shard);
	}
	for (i = 0; i < t.shard_count; i++)
		assert_int_equal(t.shards[i].state, f->plan.result.shards[i].state);
	topology_free(&t);
}

static void
orchestrate_plan__random_clusters__keep_every_invariant(void **state)
{
	struct problems problems = { 0 };
	size_t iteration, planned = 0, promoted = 0;
	struct fixture f;

	(void)state;
	rng_state = 20261125;
	for (iteration = 0; iteration < ITERATIONS; iteration++) {
		random_cluster(&f);
		topology_validate(&f.topo, &problems);
		/* Every generated topology is valid: the generator respects the rules. */
		assert_int_equal(problems_count(&problems, PROBLEM_ERROR), 0);
		problems_free(&problems);
		random_sweep(&f);
		plan(&f);
		check_promotions(&f);
		check_document(&f);
		check_effects(&f);
		planned += f.plan.count > 0;
		promoted += count(&f, ACTION_PROMOTE) > 0;
		fixture_free(&f);
	}
	/* The generator reaches the interesting cases, not only healthy ones. */
	assert_true(planned > ITERATIONS / 2);
	assert_true(promoted > ITERATIONS / 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(orchestrate_plan__random_clusters__keep_every_invariant),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
