/* test_health_read.c -- health documents read back for the orchestrator
 *
 * The round trip goes through health_to_json(), so the reader is checked
 * against what health-probe really writes, not against a copy of its shape.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "error.h"
#include "health.h"
#include "health_read.h"
#include "probe.h"
#include "topology.h"

/* pg1 primary of s1, reachable; pg2 replica, unreachable. */
static json_t *
probed_document(void)
{
	struct probe_result results[2];
	struct health_report report;
	struct topology topo;
	json_t *doc;
	int s1;

	memset(&topo, 0, sizeof(topo));
	memset(results, 0, sizeof(results));
	topo.version = 7;
	s1 = topology_add_shard(&topo, "s1", SHARD_ACTIVE);
	topology_add_server(&topo, "pg1", "host=127.0.0.1 port=5501", "");
	topology_add_server(&topo, "pg2", "host=127.0.0.1 port=5502", "");
	topo.servers[0].role = ROLE_PRIMARY;
	topo.servers[1].role = ROLE_REPLICA;
	topo.servers[0].shard = topo.servers[1].shard = s1;
	results[0].reachable = 1;
	results[0].in_recovery = 0;
	results[0].read_only = 1;
	results[1].read_only = -1;
	results[0].current_lsn = 0x3000148;
	results[0].timeline = 1;
	results[1].in_recovery = -1;
	results[0].connections = results[1].connections = -1;
	results[0].max_connections = results[1].max_connections = -1;
	results[0].database_size = results[1].database_size = -1;
	snprintf(results[1].error, sizeof(results[1].error), "connection refused");
	health_assess(&topo, results, 2.0, 1764104645, &report);
	doc = health_to_json(&report);
	health_report_free(&report);
	topology_free(&topo);
	return doc;
}

static void
health_doc_from_json__health_probe_output__reads_back(void **state)
{
	struct problems problems = { 0 };
	struct health_doc doc;
	json_t *json = probed_document();

	(void)state;
	assert_int_equal(health_doc_from_json(json, &doc, &problems), 0);
	assert_int_equal(doc.topology_version, 7);
	assert_string_equal(doc.probed_at, "2025-11-25T21:04:05Z");
	assert_int_equal(doc.count, 2);
	assert_true(doc.servers[0].reachable);
	assert_int_equal(doc.servers[0].observed, HEALTH_ROLE_PRIMARY);
	assert_true(doc.servers[0].current_lsn == 0x3000148);
	assert_null(doc.servers[0].error);
	assert_int_equal(doc.servers[0].read_only, 1);
	assert_int_equal(doc.servers[1].read_only, -1);
	assert_false(doc.servers[1].reachable);
	assert_int_equal(doc.servers[1].observed, HEALTH_ROLE_UNKNOWN);
	assert_string_equal(doc.servers[1].error, "connection refused");
	assert_ptr_equal(health_doc_find(&doc, "pg2"), &doc.servers[1]);
	assert_null(health_doc_find(&doc, "pg3"));
	health_doc_free(&doc);
	json_decref(json);
}

static void
health_doc_from_json__bad_members__each_named_by_path(void **state)
{
	struct problems problems = { 0 };
	struct health_doc doc;
	json_t *json = probed_document(), *s0, *s1;

	(void)state;
	s0 = json_array_get(json_object_get(json, "servers"), 0);
	s1 = json_array_get(json_object_get(json, "servers"), 1);
	json_object_set_new(json, "format", json_string("shardkit-health/2"));
	json_object_set_new(s0, "current_lsn", json_string("3000148"));
	json_object_set_new(s0, "observed_role", json_string("leader"));
	json_object_set_new(s1, "id", json_string("pg1"));
	json_array_append_new(json_object_get(json, "servers"), json_pack("{s:s}", "id", "pg3"));
	json_object_set_new(json, "unknown_member", json_true());
	assert_int_equal(health_doc_from_json(json, &doc, &problems), -1);
	assert_int_equal(problems.count, 5);
	assert_string_equal(problems.items[0].path, "format");
	assert_string_equal(problems.items[1].path, "servers[0].observed_role");
	assert_string_equal(problems.items[2].path, "servers[0].current_lsn");
	assert_string_equal(problems.items[3].path, "servers[1].id");
	assert_string_equal(problems.items[3].message, "duplicate server id \"pg1\" (also servers[0])");
	assert_string_equal(problems.items[4].path, "servers[2].reachable");
	assert_string_equal(problems.items[4].message, "missing required field");
	problems_free(&problems);
	json_decref(json);
}

static void
health_doc_from_json__read_only_absent_or_null__unknown(void **state)
{
	struct problems problems = { 0 };
	struct health_doc doc;
	json_t *json = probed_document(), *s0, *s1;

	(void)state;
	/* A document from before the member existed still loads. */
	s0 = json_array_get(json_object_get(json, "servers"), 0);
	s1 = json_array_get(json_object_get(json, "servers"), 1);
	assert_int_equal(json_object_del(s0, "read_only"), 0);
	json_object_set_new(s1, "read_only", json_false());
	assert_int_equal(health_doc_from_json(json, &doc, &problems), 0);
	assert_int_equal(problems.count, 0);
	assert_int_equal(doc.servers[0].read_only, -1);
	assert_int_equal(doc.servers[1].read_only, 0);
	health_doc_free(&doc);
	json_decref(json);
}

static void
health_doc_from_json__read_only_not_boolean__named_by_path(void **state)
{
	struct problems problems = { 0 };
	struct health_doc doc;
	json_t *json = probed_document(), *s0;

	(void)state;
	s0 = json_array_get(json_object_get(json, "servers"), 0);
	json_object_set_new(s0, "read_only", json_string("on"));
	assert_int_equal(health_doc_from_json(json, &doc, &problems), -1);
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, "servers[0].read_only");
	assert_string_equal(problems.items[0].message, "expected a boolean or null, found a string");
	problems_free(&problems);
	json_decref(json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_doc_from_json__health_probe_output__reads_back),
		cmocka_unit_test(health_doc_from_json__bad_members__each_named_by_path),
		cmocka_unit_test(health_doc_from_json__read_only_absent_or_null__unknown),
		cmocka_unit_test(health_doc_from_json__read_only_not_boolean__named_by_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
