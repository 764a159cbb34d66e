/* test_plan.c -- the shard planner's invariants over random clusters
 *
 * Random clusters (modes, replication factors, zones, existing shards with
 * tokens, reserves, down servers, new servers) planned with random options;
 * plan_check.h checks every invariant.  The generator is seeded per case, so
 * a failing case replays from its number.
 */

#include "plan_check.h"

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
	static const char *const keys[] = {
		"new_shards", "new_members", "reserves", "moves", "moved_from", "moved_to",
		"moved_fraction", "reserve_count", "notes",
	};
	int c;

	(void)state;
	for (c = 0; c < 90; c++) {
		struct topology t, u;
		struct plan_options o;
		struct plan p, q;
		char why[256];
		json_t *a, *b;
		size_t k;

		rng_state = 20000 + (uint64_t)c;
		random_cluster(&t, (enum topology_mode)(c % 3), &o);
		topology_copy(&u, &t);
		shuffle_servers(&u);
		if (plan_build(&t, &o, &p, why, sizeof(why)) != 0) {
			topology_free(&t);
			topology_free(&u);
			continue;
		}
		assert_int_equal(plan_build(&u, &o, &q, why, sizeof(why)), 0);
		a = plan_to_json(&p);
		b = plan_to_json(&q);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_equal(json_object_get(a, keys[k]), json_object_get(b, keys[k])))
				fail_msg("case %d: \"%s\" differs", c, keys[k]);
		json_decref(a);
		json_decref(b);
		plan_free(&p);
		plan_free(&q);
		topology_free(&t);
		topology_free(&u);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_build__random_primary_replica_clusters__keep_every_invariant),
		cmocka_unit_test(plan_build__random_no_replication_clusters__keep_every_invariant),
		cmocka_unit_test(plan_build__random_multi_master_clusters__keep_every_invariant),
		cmocka_unit_test(plan_build__servers_in_any_order__give_the_same_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
