/* test_replica.c -- slot names, the synchronous set, a replica's primary_conninfo, its former upstream */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "replica.h"
#include "replica_local.h"
#include "topology.h"

/* One shard s1: pg1 primary, pg2 and pg.3 replicas, pg4 a reserve; pg5 primary of s2. */
static const char *SHARD_TEXT =
    "{\"format\": \"shardkit-topology/1\", \"version\": 1, \"mode\": \"primary-replica\","
    " \"replication_factor\": 3, \"tables\": [], \"servers\": ["
    " {\"id\": \"pg1\", \"conninfo\": \"host=127.0.0.1 port=5501\", \"role\": \"primary\", \"shard\": \"s1\"},"
    " {\"id\": \"pg2\", \"conninfo\": \"host=127.0.0.1 port=5502\", \"role\": \"replica\", \"shard\": \"s1\"},"
    " {\"id\": \"pg.3\", \"conninfo\": \"host=127.0.0.1 port=5503\", \"role\": \"replica\", \"shard\": \"s1\"},"
    " {\"id\": \"pg4\", \"conninfo\": \"host=127.0.0.1 port=5504\", \"role\": \"reserve\", \"shard\": \"s1\"},"
    " {\"id\": \"pg5\", \"conninfo\": \"host=127.0.0.1 port=5505\", \"role\": \"primary\", \"shard\": \"s2\"}],"
    " \"shards\": [{\"id\": \"s1\", \"state\": \"active\"}, {\"id\": \"s2\", \"state\": \"active\"}]}";

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

static void
check_names(const struct topology *t, const char *shard, const char *primary, int k,
    const char *want)
{
	char *names = replica_sync_names(t, topology_find_shard(t, shard),
	    topology_find_server(t, primary), k);

	assert_string_equal(names, want);
	free(names);
}

static void
replica_sync_names__shard_with_replicas_and_reserve__names_replicas_only(void **state)
{
	struct topology t;

	(void)state;
	load(&t, SHARD_TEXT);
	check_names(&t, "s1", "pg1", 1, "ANY 1 (\"pg2\", \"pg.3\")");
	topology_free(&t);
}

static void
replica_sync_names__new_primary_still_listed_as_replica__is_left_out(void **state)
{
	struct topology t;

	(void)state;
	load(&t, SHARD_TEXT);
	check_names(&t, "s1", "pg2", 1, "ANY 1 (\"pg.3\")");
	topology_free(&t);
}

static void
replica_sync_names__k_above_replica_count__is_capped(void **state)
{
	struct topology t;

	(void)state;
	load(&t, SHARD_TEXT);
	check_names(&t, "s1", "pg1", 2, "ANY 2 (\"pg2\", \"pg.3\")");
	check_names(&t, "s1", "pg1", 5, "ANY 2 (\"pg2\", \"pg.3\")");
	topology_free(&t);
}

static void
replica_sync_names__no_active_replica__is_empty(void **state)
{
	struct topology t;

	(void)state;
	load(&t, SHARD_TEXT);
	check_names(&t, "s2", "pg5", 1, "");
	topology_free(&t);
}

static void
check_slot(const char *id, const char *want_prefix, size_t want_len)
{
	char *slot = replica_slot_name(id);
	const char *p;

	assert_true(strncmp(slot, want_prefix, strlen(want_prefix)) == 0);
	assert_int_equal(strlen(slot), want_len);
	assert_true(strlen(slot) <= 63);
	for (p = slot; *p != '\0'; p++)
		assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_');
	free(slot);
}

static void
replica_slot_name__plain_id__is_prefixed(void **state)
{
	char *slot = replica_slot_name("pg2");

	(void)state;
	assert_string_equal(slot, "shardkit_pg2");
	free(slot);
}

static void
replica_slot_name__other_characters__are_replaced_and_hashed(void **state)
{
	char *a = replica_slot_name("pg-1"), *b = replica_slot_name("pg.1");

	(void)state;
	check_slot("pg-1", "shardkit_pg_1_", strlen("shardkit_pg_1_") + 8);
	check_slot("PG1", "shardkit_pg1_", strlen("shardkit_pg1_") + 8);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
}

static void
replica_slot_name__longest_id__fits_in_63_bytes(void **state)
{
	char id[64];

	(void)state;
	memset(id, 'a', 63);
	id[63] = '\0';
	check_slot(id, "shardkit_aaaa", strlen("shardkit_") + 44 + 1 + 8);
}

static void
replica_link_conninfo__primary_conninfo__keeps_host_port_and_tls_only(void **state)
{
	char why[256];
	char *c = replica_link_conninfo(
	    "host=10.0.0.1 port=5433 dbname=app user=postgres sslmode=require application_name=x",
	    "shardkit_replication", "pg2", "/srv/pg 2/shardkit-replication.pgpass", why, sizeof(why));

	(void)state;
	assert_non_null(c);
	assert_string_equal(c, "host=10.0.0.1 port=5433 sslmode=require user=shardkit_replication"
	    " application_name=pg2 passfile='/srv/pg 2/shardkit-replication.pgpass'");
	free(c);
}

static void
replica_link_conninfo__unparsable__reports_why(void **state)
{
	char why[256] = "";

	(void)state;
	assert_null(replica_link_conninfo("nonsense", "u", "pg2", "/p", why, sizeof(why)));
	assert_true(strlen(why) > 0);
	assert_null(strchr(why, '\n'));
}

static void
replica_topology_match__host_and_port__finds_the_server(void **state)
{
	struct topology t;

	(void)state;
	load(&t, SHARD_TEXT);
	assert_int_equal(replica_topology_match(&t, "127.0.0.1", "5503"), 2);
	assert_int_equal(replica_topology_match(&t, "127.0.0.1", "5505"), 4);
	topology_free(&t);
}

static void
replica_topology_match__other_host_port_or_none__is_minus_one(void **state)
{
	struct topology t;

	(void)state;
	load(&t, SHARD_TEXT);
	assert_int_equal(replica_topology_match(&t, "127.0.0.2", "5503"), -1);
	assert_int_equal(replica_topology_match(&t, "127.0.0.1", "5432"), -1);
	assert_int_equal(replica_topology_match(&t, "", "5501"), -1);
	assert_int_equal(replica_topology_match(&t, NULL, NULL), -1);
	topology_free(&t);
}

static void
replica_result_json__former_upstream__is_an_object_or_null(void **state)
{
	struct replica_result r = { .server = "pg3", .primary = "pg2", .slot = "shardkit_pg3",
		.action = "repointed", .lsn = "0/3000148", .sync_names = "ANY 1 (\"pg3\")" };
	json_t *doc = replica_result_json(&r);
	char *text;

	(void)state;
	assert_true(json_is_null(json_object_get(doc, "former_upstream")));
	json_decref(doc);
	r.former_server = "pg1";
	r.former_result = "unreachable";
	doc = replica_result_json(&r);
	text = json_dumps(json_object_get(doc, "former_upstream"), JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"result\":\"unreachable\",\"server\":\"pg1\",\"slot\":\"shardkit_pg3\"}");
	free(text);
	json_decref(doc);
	/* Not in the topology: the server is null, the slot and what became of it stay. */
	r.former_server = NULL;
	r.former_result = "unknown";
	doc = replica_result_json(&r);
	text = json_dumps(json_object_get(doc, "former_upstream"), JSON_SORT_KEYS | JSON_COMPACT);
	assert_string_equal(text, "{\"result\":\"unknown\",\"server\":null,\"slot\":\"shardkit_pg3\"}");
	free(text);
	json_decref(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replica_sync_names__shard_with_replicas_and_reserve__names_replicas_only),
		cmocka_unit_test(replica_sync_names__new_primary_still_listed_as_replica__is_left_out),
		cmocka_unit_test(replica_sync_names__k_above_replica_count__is_capped),
		cmocka_unit_test(replica_sync_names__no_active_replica__is_empty),
		cmocka_unit_test(replica_slot_name__plain_id__is_prefixed),
		cmocka_unit_test(replica_slot_name__other_characters__are_replaced_and_hashed),
		cmocka_unit_test(replica_slot_name__longest_id__fits_in_63_bytes),
		cmocka_unit_test(replica_link_conninfo__primary_conninfo__keeps_host_port_and_tls_only),
		cmocka_unit_test(replica_link_conninfo__unparsable__reports_why),
		cmocka_unit_test(replica_topology_match__host_and_port__finds_the_server),
		cmocka_unit_test(replica_topology_match__other_host_port_or_none__is_minus_one),
		cmocka_unit_test(replica_result_json__former_upstream__is_an_object_or_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
