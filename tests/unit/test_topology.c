/* test_topology.c -- the topology model: round trips and every validation rule */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "topology.h"

/* A valid primary-replica document with two shards at replication factor 2. */
static const char base_document[] =
    "{\"version\": 4, \"mode\": \"primary-replica\", \"replication_factor\": 2,"
    " \"vnodes\": 4, \"hash\": {\"algorithm\": \"xxh3-64\", \"seed\": 7},"
    " \"tables\": [{\"name\": \"accounts\", \"key\": \"id\"}],"
    " \"servers\": ["
    "  {\"id\": \"a\", \"conninfo\": \"host=127.0.0.1 port=1\", \"zone\": \"z1\", \"role\": \"primary\", \"shard\": \"s1\"},"
    "  {\"id\": \"b\", \"conninfo\": \"host=127.0.0.1 port=2\", \"zone\": \"z2\", \"role\": \"replica\", \"shard\": \"s1\"},"
    "  {\"id\": \"c\", \"conninfo\": \"host=127.0.0.1 port=3\", \"role\": \"primary\", \"shard\": \"s2\"},"
    "  {\"id\": \"d\", \"conninfo\": \"host=127.0.0.1 port=4\", \"role\": \"replica\", \"shard\": \"s2\", \"state\": \"up\"},"
    "  {\"id\": \"e\", \"conninfo\": \"host=127.0.0.1 port=5\", \"role\": \"reserve\", \"shard\": \"s2\"},"
    "  {\"id\": \"f\", \"conninfo\": \"postgresql://127.0.0.1:6/app\"}],"
    " \"shards\": ["
    "  {\"id\": \"s1\", \"state\": \"active\", \"tokens\": [\"8000000000000000\", \"0000000000000010\"]},"
    "  {\"id\": \"s2\", \"tokens\": [\"c000000000000000\"]}],"
    " \"migrations\": [{\"anything\": true}]}";

static json_t *
parse(const char *text)
{
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);

	if (doc == NULL)
		fail_msg("test document does not parse: %s", err.text);
	return doc;
}

/* Load base_document after applying a jq-like edit written in C. */
static int
load_edited(void (*edit)(json_t *), struct topology *topo, struct problems *problems)
{
	json_t *doc = parse(base_document);
	int rc;

	if (edit != NULL)
		edit(doc);
	rc = topology_from_json(doc, topo, problems);
	json_decref(doc);
	return rc;
}

static const struct problem *
find_problem(const struct problems *problems, const char *path, const char *needle)
{
	size_t i;

	for (i = 0; i < problems->count; i++)
		if (strcmp(problems->items[i].path, path) == 0 &&
		    strstr(problems->items[i].message, needle) != NULL)
			return &problems->items[i];
	for (i = 0; i < problems->count; i++)
		print_message("  have: %s: %s\n", problems->items[i].path, problems->items[i].message);
	return NULL;
}

static void
expect_error(void (*edit)(json_t *), const char *path, const char *needle)
{
	struct problems problems = { 0 };
	struct topology topo;
	const struct problem *p;

	assert_int_equal(load_edited(edit, &topo, &problems), -1);
	p = find_problem(&problems, path, needle);
	assert_non_null(p);
	assert_int_equal(p->severity, PROBLEM_ERROR);
	problems_free(&problems);
}

static json_t *
server(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "servers"), i);
}

static json_t *
shard(json_t *doc, size_t i)
{
	return json_array_get(json_object_get(doc, "shards"), i);
}

static void
topology_from_json__valid_document__builds_the_model(void **state)
{
	struct problems problems = { 0 };
	struct topology topo;

	(void)state;
	assert_int_equal(load_edited(NULL, &topo, &problems), 0);
	assert_int_equal(problems_count(&problems, PROBLEM_ERROR), 0);
	assert_int_equal(topo.version, 4);
	assert_int_equal(topo.mode, MODE_PRIMARY_REPLICA);
	assert_int_equal(topo.replication_factor, 2);
	assert_true(topo.hash_seed == 7);
	assert_int_equal(topo.server_count, 6);
	assert_int_equal(topo.shard_count, 2);
	assert_int_equal(topo.servers[4].role, ROLE_RESERVE);
	assert_int_equal(topo.servers[4].shard, 1);
	assert_int_equal(topo.servers[5].role, ROLE_NONE);
	assert_int_equal(topo.servers[5].shard, -1);
	/* Tokens are sorted on load. */
	assert_true(topo.shards[0].tokens[0] == 0x10);
	assert_true(topo.shards[0].tokens[1] == UINT64_C(0x8000000000000000));
	assert_int_equal(topology_shard_primary(&topo, 1), 2);
	assert_int_equal(topology_find_server(&topo, "e"), 4);
	assert_int_equal(topology_find_shard(&topo, "nope"), -1);
	topology_free(&topo);
	problems_free(&problems);
}

static void
topology_to_json__loaded_document__round_trips_exactly(void **state)
{
	struct problems problems = { 0 };
	struct topology topo, again, copy;
	json_t *first, *second, *third;

	(void)state;
	assert_int_equal(load_edited(NULL, &topo, &problems), 0);
	first = topology_to_json(&topo);
	assert_int_equal(topology_from_json(first, &again, &problems), 0);
	second = topology_to_json(&again);
	assert_true(json_equal(first, second));
	topology_copy(&copy, &again);
	third = topology_to_json(&copy);
	assert_true(json_equal(first, third));
	assert_string_equal(json_string_value(json_object_get(first, "format")), TOPOLOGY_FORMAT);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(first, "migrations"), 0), "anything")));
	json_decref(first);
	json_decref(second);
	json_decref(third);
	topology_free(&topo);
	topology_free(&again);
	topology_free(&copy);
	problems_free(&problems);
}

static void edit_unknown_field(json_t *d) { json_object_set_new(d, "colour", json_string("red")); }
static void edit_unknown_server_field(json_t *d) { json_object_set_new(server(d, 1), "weight", json_integer(3)); }
static void edit_version_string(json_t *d) { json_object_set_new(d, "version", json_string("4")); }
static void edit_version_negative(json_t *d) { json_object_set_new(d, "version", json_integer(-1)); }
static void edit_no_mode(json_t *d) { json_object_del(d, "mode"); }
static void edit_bad_mode(json_t *d) { json_object_set_new(d, "mode", json_string("sharded")); }
static void edit_rf_zero(json_t *d) { json_object_set_new(d, "replication_factor", json_integer(0)); }
static void edit_vnodes_real(json_t *d) { json_object_set_new(d, "vnodes", json_real(2.5)); }
static void edit_bad_algorithm(json_t *d) { json_object_set_new(json_object_get(d, "hash"), "algorithm", json_string("md5")); }
static void edit_seed_too_big(json_t *d) { json_object_set_new(json_object_get(d, "hash"), "seed", json_integer(9007199254740992LL)); }
static void edit_servers_object(json_t *d) { json_object_set_new(d, "servers", json_object()); }
static void edit_server_not_object(json_t *d) { json_array_append_new(json_object_get(d, "servers"), json_integer(1)); }
static void edit_server_no_conninfo(json_t *d) { json_object_del(server(d, 0), "conninfo"); }
static void edit_bad_role(json_t *d) { json_object_set_new(server(d, 1), "role", json_string("leader")); }
static void edit_bad_state(json_t *d) { json_object_set_new(server(d, 1), "state", json_string("sleepy")); }
static void edit_bad_shard_state(json_t *d) { json_object_set_new(shard(d, 0), "state", json_string("gone")); }
static void edit_unknown_shard(json_t *d) { json_object_set_new(server(d, 1), "shard", json_string("s9")); }
static void edit_bad_token(json_t *d) { json_array_append_new(json_object_get(shard(d, 1), "tokens"), json_string("12")); }
static void edit_token_number(json_t *d) { json_array_append_new(json_object_get(shard(d, 1), "tokens"), json_integer(12)); }
static void edit_two_primaries(json_t *d) { json_object_set_new(server(d, 1), "role", json_string("primary")); }
static void edit_no_primary(json_t *d) { json_object_set_new(server(d, 0), "role", json_string("replica")); }
static void edit_duplicate_token(json_t *d) { json_array_append_new(json_object_get(shard(d, 1), "tokens"), json_string("8000000000000000")); }
static void edit_duplicate_server(json_t *d) { json_object_set_new(server(d, 3), "id", json_string("a")); }
static void
edit_duplicate_shard(json_t *d)
{
	size_t i;

	json_object_set_new(shard(d, 1), "id", json_string("s1"));
	for (i = 2; i <= 4; i++)
		json_object_set_new(server(d, i), "shard", json_string("s1"));
}
static void edit_bad_id(json_t *d) { json_object_set_new(server(d, 5), "id", json_string("-x y")); }
static void edit_password(json_t *d) { json_object_set_new(server(d, 5), "conninfo", json_string("host=127.0.0.1 port=6 password=secret")); }
static void edit_bad_conninfo(json_t *d) { json_object_set_new(server(d, 5), "conninfo", json_string("host=127.0.0.1 nonsense")); }
static void edit_same_server_in_shard(json_t *d) { json_object_set_new(server(d, 1), "conninfo", json_string("host=127.0.0.1 port=1 dbname=other")); }
static void edit_same_server_elsewhere(json_t *d) { json_object_set_new(server(d, 5), "conninfo", json_string("host=127.0.0.1 port=3")); }
static void edit_replica_without_shard(json_t *d) { json_object_del(server(d, 1), "shard"); }
static void edit_role_missing_in_shard(json_t *d) { json_object_set_new(server(d, 5), "shard", json_string("s1")); }
static void edit_server_tokens(json_t *d) { json_object_set_new(server(d, 0), "tokens", json_pack("[s]", "0000000000000001")); }
static void edit_duplicate_table(json_t *d) { json_array_append_new(json_object_get(d, "tables"), json_pack("{s:s,s:s}", "name", "accounts", "key", "x")); }
static void edit_table_no_key(json_t *d) { json_object_del(json_array_get(json_object_get(d, "tables"), 0), "key"); }
static void edit_migrations_object(json_t *d) { json_object_set_new(d, "migrations", json_object()); }
static void edit_bad_format(json_t *d) { json_object_set_new(d, "format", json_string("shardkit-topology/9")); }
static void edit_nul_in_id(json_t *d) { json_object_set_new(server(d, 0), "id", json_stringn("a\0b", 3)); }

static void
edit_no_replication_with_replicas(json_t *d)
{
	json_object_set_new(d, "mode", json_string("no-replication"));
	json_object_set_new(d, "replication_factor", json_integer(1));
}

static void
edit_no_replication_rf3(json_t *d)
{
	json_object_set_new(d, "mode", json_string("no-replication"));
	json_object_set_new(d, "replication_factor", json_integer(3));
}

static void
edit_multi_master_with_shards(json_t *d)
{
	json_object_set_new(d, "mode", json_string("multi-master"));
}

static void
topology_from_json__each_broken_rule__is_reported_at_its_path(void **state)
{
	(void)state;
	expect_error(edit_unknown_field, "colour", "unknown field");
	expect_error(edit_unknown_server_field, "servers[1].weight", "unknown field");
	expect_error(edit_version_string, "version", "expected an integer, found a string");
	expect_error(edit_version_negative, "version", "from 0 to");
	expect_error(edit_no_mode, "mode", "missing required field");
	expect_error(edit_bad_mode, "mode", "found \"sharded\"");
	expect_error(edit_rf_zero, "replication_factor", "from 1 to 100");
	expect_error(edit_vnodes_real, "vnodes", "expected an integer, found a number");
	expect_error(edit_bad_algorithm, "hash.algorithm", "expected \"xxh3-64\"");
	expect_error(edit_seed_too_big, "hash.seed", "from 0 to 9007199254740991");
	expect_error(edit_servers_object, "servers", "expected an array, found an object");
	expect_error(edit_server_not_object, "servers[6]", "expected an object, found an integer");
	expect_error(edit_server_no_conninfo, "servers[0].conninfo", "missing required field");
	expect_error(edit_bad_role, "servers[1].role", "found \"leader\"");
	expect_error(edit_bad_state, "servers[1].state", "found \"sleepy\"");
	expect_error(edit_bad_shard_state, "shards[0].state", "found \"gone\"");
	expect_error(edit_unknown_shard, "servers[1].shard", "unknown shard \"s9\"");
	expect_error(edit_bad_token, "shards[1].tokens[1]", "16 lowercase hexadecimal");
	expect_error(edit_token_number, "shards[1].tokens[1]", "16 lowercase hexadecimal");
	expect_error(edit_two_primaries, "shards[0]", "has 2 primaries (\"a\", \"b\")");
	expect_error(edit_no_primary, "shards[0]", "no primary");
	expect_error(edit_duplicate_token, "shards[1].tokens", "duplicate token \"8000000000000000\" (also shards[0])");
	expect_error(edit_duplicate_server, "servers[3].id", "duplicate server id \"a\"");
	expect_error(edit_duplicate_shard, "shards[1].id", "duplicate shard id \"s1\"");
	expect_error(edit_bad_id, "servers[5].id", "invalid id");
	expect_error(edit_password, "servers[5].conninfo", "password is not allowed");
	expect_error(edit_bad_conninfo, "servers[5].conninfo", "nonsense");
	expect_error(edit_same_server_in_shard, "servers[1].conninfo", "two copies of shard \"s1\" on one server");
	expect_error(edit_same_server_elsewhere, "servers[5].conninfo", "same PostgreSQL server (127.0.0.1:3)");
	expect_error(edit_replica_without_shard, "servers[1].role", "must belong to a shard");
	expect_error(edit_role_missing_in_shard, "servers[5].role", "needs a role");
	expect_error(edit_server_tokens, "servers[0]", "tokens belong to shards");
	expect_error(edit_duplicate_table, "tables[1].name", "duplicate table \"accounts\"");
	expect_error(edit_table_no_key, "tables[0].key", "missing required field");
	expect_error(edit_migrations_object, "migrations", "expected an array");
	expect_error(edit_bad_format, "format", "expected \"shardkit-topology/1\"");
	expect_error(edit_nul_in_id, "servers[0].id", "NUL byte");
	expect_error(edit_no_replication_with_replicas, "servers[1].role", "primary only");
	expect_error(edit_no_replication_rf3, "replication_factor", "requires replication_factor 1");
	expect_error(edit_multi_master_with_shards, "shards", "expected no shards");
}

static void edit_rf3(json_t *d) { json_object_set_new(d, "replication_factor", json_integer(3)); }
static void edit_replica_down(json_t *d) { json_object_set_new(server(d, 1), "state", json_string("down")); }

static void
topology_validate__shard_below_replication_factor__is_a_warning(void **state)
{
	struct problems problems = { 0 };
	struct topology topo;
	const struct problem *p;

	(void)state;
	assert_int_equal(load_edited(edit_rf3, &topo, &problems), 0);
	p = find_problem(&problems, "shards[0]", "has 2 of the 3 active servers");
	assert_non_null(p);
	assert_int_equal(p->severity, PROBLEM_WARNING);
	/* A reserve does not count toward the replication factor. */
	assert_non_null(find_problem(&problems, "shards[1]", "has 2 of the 3"));
	topology_free(&topo);
	problems_free(&problems);

	assert_int_equal(load_edited(edit_replica_down, &topo, &problems), 0);
	assert_non_null(find_problem(&problems, "shards[0]", "has 1 of the 2"));
	topology_free(&topo);
	problems_free(&problems);
}

static void
topology_from_json__many_problems__are_all_listed(void **state)
{
	struct problems problems = { 0 };
	struct topology topo;
	json_t *doc = parse("{\"mode\": 1, \"extra\": 2, \"servers\": [{\"id\": 5}], \"shards\": 3}");

	(void)state;
	assert_int_equal(topology_from_json(doc, &topo, &problems), -1);
	assert_non_null(find_problem(&problems, "extra", "unknown field"));
	assert_non_null(find_problem(&problems, "version", "missing required field"));
	assert_non_null(find_problem(&problems, "mode", "expected a string"));
	assert_non_null(find_problem(&problems, "servers[0].id", "expected a string"));
	assert_non_null(find_problem(&problems, "servers[0].conninfo", "missing"));
	assert_non_null(find_problem(&problems, "shards", "expected an array"));
	json_decref(doc);
	problems_free(&problems);
}

static void
topology_remove_shard__later_shards__are_renumbered(void **state)
{
	struct problems problems = { 0 };
	struct topology topo;

	(void)state;
	assert_int_equal(load_edited(NULL, &topo, &problems), 0);
	topology_remove_shard(&topo, 0);
	assert_int_equal(topo.shard_count, 1);
	assert_string_equal(topo.shards[0].id, "s2");
	assert_int_equal(topo.servers[0].shard, -1);
	assert_int_equal(topo.servers[2].shard, 0);
	assert_int_equal(topology_add_shard(&topo, "s3", SHARD_CREATING), 1);
	assert_int_equal(topology_add_server(&topo, "g", "host=127.0.0.1 port=7", NULL), 6);
	assert_string_equal(topo.servers[6].zone, "");
	topology_free(&topo);
	problems_free(&problems);
}

static void
enum_tables__every_name__parses_back(void **state)
{
	int i;

	(void)state;
	for (i = SERVER_UP; i <= SERVER_FENCED; i++)
		assert_int_equal(server_state_parse(server_state_name(i)), i);
	for (i = ROLE_NONE; i <= ROLE_RESERVE; i++)
		assert_int_equal(server_role_parse(server_role_name(i)), i);
	for (i = SHARD_ACTIVE; i <= SHARD_DRAINING; i++)
		assert_int_equal(shard_state_parse(shard_state_name(i)), i);
	for (i = MODE_PRIMARY_REPLICA; i <= MODE_MULTI_MASTER; i++)
		assert_int_equal(topology_mode_parse(topology_mode_name(i)), i);
	assert_int_equal(server_role_parse("leader"), -1);
	assert_true(topology_id_valid("pg-1.a_b"));
	assert_false(topology_id_valid(""));
	assert_false(topology_id_valid("_x"));
	assert_false(topology_id_valid("a b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(topology_from_json__valid_document__builds_the_model),
		cmocka_unit_test(topology_to_json__loaded_document__round_trips_exactly),
		cmocka_unit_test(topology_from_json__each_broken_rule__is_reported_at_its_path),
		cmocka_unit_test(topology_validate__shard_below_replication_factor__is_a_warning),
		cmocka_unit_test(topology_from_json__many_problems__are_all_listed),
		cmocka_unit_test(topology_remove_shard__later_shards__are_renumbered),
		cmocka_unit_test(enum_tables__every_name__parses_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
