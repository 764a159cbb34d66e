/* test_route.c -- routing rules per mode, preference lists, the bucket table */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ring.h"
#include "route.h"
#include "topology.h"

#define T(n) ((uint64_t)(n) << 60)

static uint64_t rng_state = 12345;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void
load(struct topology *t, const char *text)
{
	struct problems problems = { 0 };
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);

	assert_non_null(doc);
	assert_int_equal(topology_from_json(doc, t, &problems), 0);
	problems_free(&problems);
	json_decref(doc);
}

static const char multi_master[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"multi-master\","
    "\"replication_factor\":%d,\"servers\":["
    "{\"id\":\"A\",\"conninfo\":\"port=1\",\"zone\":\"z1\",\"state\":\"up\","
    " \"tokens\":[\"1000000000000000\",\"9000000000000000\"]},"
    "{\"id\":\"B\",\"conninfo\":\"port=2\",\"zone\":\"z1\",\"state\":\"up\",\"tokens\":[\"2000000000000000\"]},"
    "{\"id\":\"C\",\"conninfo\":\"port=3\",\"zone\":\"z2\",\"state\":\"up\",\"tokens\":[\"3000000000000000\"]},"
    "{\"id\":\"D\",\"conninfo\":\"port=4\",\"zone\":\"z3\",\"state\":\"%s\",\"tokens\":[\"4000000000000000\"]},"
    "{\"id\":\"E\",\"conninfo\":\"port=5\",\"zone\":\"z3\",\"state\":\"up\",\"tokens\":[\"5000000000000000\"]}]}";

/* The preference list for hash as a string of server ids, e.g. "ACE". */
static void
preference(const struct router *r, const struct topology *t, uint64_t hash, char *out)
{
	const uint32_t *servers = router_servers(r, router_find(r, hash));
	size_t i;

	for (i = 0; i < r->width; i++)
		out[i] = t->servers[servers[i]].id[0];
	out[r->width] = '\0';
}

static void
router_build__multi_master__prefers_new_zones_and_skips_down_servers(void **state)
{
	char text[2048], list[8];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), multi_master, 3, "down");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	assert_int_equal(r.width, 3);
	/* From A: B shares A's zone, so C and E (past down D) come first. */
	preference(&r, &t, T(1) - 5, list);
	assert_string_equal(list, "ACE");
	preference(&r, &t, T(2) + 1, list);
	assert_string_equal(list, "CEA");
	preference(&r, &t, T(3) + 1, list);
	assert_string_equal(list, "EAC");
	/* Past the last token the walk wraps to A. */
	preference(&r, &t, T(9) + 1, list);
	assert_string_equal(list, "ACE");
	router_free(&r);
	topology_free(&t);
}

static void
router_build__multi_master_more_copies_than_zones__fills_with_skipped_servers(void **state)
{
	char text[2048], list[8];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), multi_master, 4, "down");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	preference(&r, &t, T(1), list);
	assert_string_equal(list, "ACEB");
	router_free(&r);
	topology_free(&t);
}

static void
router_build__multi_master_server_up__takes_its_place_in_the_walk(void **state)
{
	char text[2048], list[8];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), multi_master, 3, "up");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	preference(&r, &t, T(3) + 1, list);
	assert_string_equal(list, "DAC");
	router_free(&r);
	topology_free(&t);
}

static void
router_build__multi_master_factor_above_servers__lists_every_server_once(void **state)
{
	char text[2048], list[8];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), multi_master, 9, "down");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	assert_int_equal(r.width, 4);
	preference(&r, &t, T(5), list);
	assert_string_equal(list, "EACB");
	router_free(&r);
	topology_free(&t);
}

static const char no_replication[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"%s\",\"replication_factor\":1,"
    "\"servers\":[{\"id\":\"a\",\"conninfo\":\"port=1\",\"role\":\"primary\",\"shard\":\"s1\"},"
    "{\"id\":\"b\",\"conninfo\":\"port=2\",\"role\":\"primary\",\"shard\":\"s2\"},"
    "{\"id\":\"c\",\"conninfo\":\"port=3\",\"role\":\"primary\",\"shard\":\"s3\"},"
    "{\"id\":\"d\",\"conninfo\":\"port=4\",\"role\":\"primary\",\"shard\":\"s4\"}],"
    "\"shards\":[{\"id\":\"s1\",\"state\":\"%s\",\"tokens\":[\"1000000000000000\"]},"
    "{\"id\":\"s2\",\"state\":\"%s\",\"tokens\":[\"2000000000000000\"]},"
    "{\"id\":\"s3\",\"state\":\"creating\",\"tokens\":[\"3000000000000000\"]},"
    "{\"id\":\"s4\",\"state\":\"%s\",\"tokens\":[\"5000000000000000\"]}]}";

static void
router_build__no_replication_down_shard__routes_to_next_shard_up(void **state)
{
	char text[2048];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), no_replication, "no-replication", "active", "down", "active");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	assert_int_equal(router_find(&r, T(1)), 0);
	/* s2 is down: its keys go clockwise past creating s3 to s4. */
	assert_int_equal(router_find(&r, T(1) + 1), 3);
	assert_int_equal(router_find(&r, T(2)), 3);
	/* s3 is creating: its range belongs to s4 until its data is there. */
	assert_int_equal(router_find(&r, T(3)), 3);
	assert_int_equal(router_find(&r, T(5) + 1), 0);
	assert_int_equal(router_find(&r, 0), 0);
	router_free(&r);
	topology_free(&t);
}

static void
router_build__no_replication_down_before_wrap__routes_past_zero(void **state)
{
	char text[2048];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), no_replication, "no-replication", "active", "active", "down");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	assert_int_equal(router_find(&r, T(4)), 0);
	assert_int_equal(router_find(&r, UINT64_MAX), 0);
	router_free(&r);
	topology_free(&t);
}

static void
router_build__primary_replica_down_shard__still_owns_its_keys(void **state)
{
	char text[2048];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), no_replication, "primary-replica", "active", "down", "active");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_OK);
	assert_int_equal(router_find(&r, T(2)), 1);
	router_free(&r);
	topology_free(&t);
}

static void
router_build__every_shard_down__reports_all_down(void **state)
{
	char text[2048];
	struct topology t;
	struct router r;

	(void)state;
	snprintf(text, sizeof(text), no_replication, "no-replication", "down", "down", "down");
	load(&t, text);
	assert_int_equal(router_build(&r, &t), ROUTE_ALL_DOWN);
	topology_free(&t);
}

static void
router_build__only_creating_shards_have_tokens__reports_empty(void **state)
{
	struct topology t;
	struct router r;

	(void)state;
	load(&t, "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"no-replication\","
	    "\"replication_factor\":1,\"servers\":[],\"shards\":[{\"id\":\"s1\",\"state\":\"creating\","
	    "\"tokens\":[\"1000000000000000\"]},{\"id\":\"s2\",\"state\":\"active\"}]}");
	assert_int_equal(router_build(&r, &t), ROUTE_EMPTY);
	topology_free(&t);
}

static void
router_build__multi_master_every_server_down__reports_all_down(void **state)
{
	struct topology t;
	struct router r;

	(void)state;
	load(&t, "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"multi-master\","
	    "\"replication_factor\":1,\"servers\":[{\"id\":\"A\",\"conninfo\":\"port=1\","
	    "\"state\":\"down\",\"tokens\":[\"1000000000000000\"]}]}");
	assert_int_equal(router_build(&r, &t), ROUTE_ALL_DOWN);
	topology_free(&t);
}

/* Random rings, some with tokens crowded together: the table agrees with bisection. */
static void
router_find__random_rings__agree_with_binary_search(void **state)
{
	int round;

	(void)state;
	for (round = 0; round < 40; round++) {
		struct topology t;
		struct router r;
		size_t n = 1 + rng_next() % 300, i, shard;
		uint64_t base = rng_next();
		int crowded = round % 2;

		memset(&t, 0, sizeof(t));
		t.mode = MODE_PRIMARY_REPLICA;
		t.shard_count = 1 + rng_next() % 5;
		t.shards = calloc(t.shard_count, sizeof(*t.shards));
		for (shard = 0; shard < t.shard_count; shard++) {
			t.shards[shard].id = strdup("s");
			t.shards[shard].tokens = calloc(n, sizeof(uint64_t));
			t.shards[shard].token_count = n;
			for (i = 0; i < n; i++)
				t.shards[shard].tokens[i] = crowded ?
				    base + (i * t.shard_count + shard) * 3 : rng_next();
		}
		assert_int_equal(router_build(&r, &t), ROUTE_OK);
		for (i = 0; i < 3000; i++) {
			uint64_t h = i < r.count ? r.tokens[i] - (i % 3) + 1 :
			    crowded && i % 2 ? base + rng_next() % (n * t.shard_count * 3 + 10) : rng_next();

			assert_int_equal(router_find(&r, h), r.answer[router_point(&r, h)]);
			assert_true(router_point(&r, h) == 0 ? h > r.tokens[r.count - 1] || h <= r.tokens[0] :
			    r.tokens[router_point(&r, h)] >= h && r.tokens[router_point(&r, h) - 1] < h);
		}
		router_free(&r);
		for (shard = 0; shard < t.shard_count; shard++) {
			free(t.shards[shard].id);
			free(t.shards[shard].tokens);
		}
		free(t.shards);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(router_build__multi_master__prefers_new_zones_and_skips_down_servers),
		cmocka_unit_test(router_build__multi_master_more_copies_than_zones__fills_with_skipped_servers),
		cmocka_unit_test(router_build__multi_master_server_up__takes_its_place_in_the_walk),
		cmocka_unit_test(router_build__multi_master_factor_above_servers__lists_every_server_once),
		cmocka_unit_test(router_build__no_replication_down_shard__routes_to_next_shard_up),
		cmocka_unit_test(router_build__no_replication_down_before_wrap__routes_past_zero),
		cmocka_unit_test(router_build__primary_replica_down_shard__still_owns_its_keys),
		cmocka_unit_test(router_build__every_shard_down__reports_all_down),
		cmocka_unit_test(router_build__only_creating_shards_have_tokens__reports_empty),
		cmocka_unit_test(router_build__multi_master_every_server_down__reports_all_down),
		cmocka_unit_test(router_find__random_rings__agree_with_binary_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
