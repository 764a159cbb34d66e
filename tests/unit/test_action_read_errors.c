/* test_action_read_errors.c -- every problem an action document can have
 *
 * One test per problem: the valid document of action_doc_fixture.h changed
 * in one place is rejected with exactly one problem, its JSON path and its
 * message, and yields no actions (an executor never acts on half a plan).
 */

#include "action_doc_fixture.h"

static void
actions_from_json__not_an_object__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_decref(c.doc);
	c.doc = json_array();
	expect_problem(&c, "$", "expected a JSON object");
}

static void
actions_from_json__wrong_format__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(c.doc, "format", json_string("shardkit-actions/2"));
	expect_problem(&c, "format", "expected \"shardkit-actions/1\"");
}

static void
actions_from_json__missing_format__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(c.doc, "format");
	expect_problem(&c, "format", "missing required field");
}

static void
actions_from_json__topology_version_not_an_integer__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(c.doc, "topology_version", json_string("5"));
	expect_problem(&c, "topology_version", "expected an integer from 0, found a string");
}

static void
actions_from_json__negative_topology_version__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(c.doc, "topology_version", json_integer(-1));
	expect_problem(&c, "topology_version", "expected an integer from 0, found a negative one");
}

static void
actions_from_json__health_probed_at_not_a_string__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(c.doc, "health_probed_at", json_integer(1));
	expect_problem(&c, "health_probed_at", "expected a string, found an integer");
}

static void
actions_from_json__missing_actions__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(c.doc, "actions");
	expect_problem(&c, "actions", "missing required field");
}

static void
actions_from_json__actions_not_an_array__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(c.doc, "actions", json_object());
	expect_problem(&c, "actions", "expected an array, found an object");
}

static void
actions_from_json__action_not_an_object__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_array_set_new(json_object_get(c.doc, "actions"), 9, json_string("alert"));
	expect_problem(&c, "actions[9]", "expected an object, found a string");
}

static void
actions_from_json__unknown_kind__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 3), "kind", json_string("reboot"));
	expect_problem(&c, "actions[3].kind", "unknown kind \"reboot\"");
}

static void
actions_from_json__missing_kind__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 3), "kind");
	expect_problem(&c, "actions[3].kind", "missing required field");
}

static void
actions_from_json__promote_without_old_primary__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 1), "old_primary");
	expect_problem(&c, "actions[1].old_primary", "missing required field");
}

static void
actions_from_json__promote_without_lsn__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 1), "lsn");
	expect_problem(&c, "actions[1].lsn", "missing required field");
}

static void
actions_from_json__repoint_without_primary__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 2), "primary");
	expect_problem(&c, "actions[2].primary", "missing required field");
}

static void
actions_from_json__fence_without_shard__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 0), "shard");
	expect_problem(&c, "actions[0].shard", "missing required field");
}

static void
actions_from_json__missing_server__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 8), "server");
	expect_problem(&c, "actions[8].server", "missing required field");
}

static void
actions_from_json__alert_without_severity__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 9), "severity");
	expect_problem(&c, "actions[9].severity", "missing required field");
}

static void
actions_from_json__unknown_server__is_rejected_at_its_path(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 2), "server", json_string("pg99"));
	expect_problem(&c, "actions[2].server", "unknown server \"pg99\"");
}

static void
actions_from_json__unknown_old_primary__is_rejected_at_its_path(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 1), "old_primary", json_string("pg99"));
	expect_problem(&c, "actions[1].old_primary", "unknown server \"pg99\"");
}

static void
actions_from_json__unknown_primary__is_rejected_at_its_path(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 5), "primary", json_string("pg99"));
	expect_problem(&c, "actions[5].primary", "unknown server \"pg99\"");
}

static void
actions_from_json__unknown_shard__is_rejected_at_its_path(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 6), "shard", json_string("s9"));
	expect_problem(&c, "actions[6].shard", "unknown shard \"s9\"");
}

static void
actions_from_json__server_not_a_string__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 2), "server", json_integer(3));
	expect_problem(&c, "actions[2].server", "expected a string, found an integer");
}

static void
actions_from_json__bad_lsn__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 1), "lsn", json_string("3000148"));
	expect_problem(&c, "actions[1].lsn",
	    "expected an LSN such as \"0/3000148\" or null, found \"3000148\"");
}

static void
actions_from_json__unknown_severity__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 9), "severity", json_string("info"));
	expect_problem(&c, "actions[9].severity",
	    "expected \"warning\" or \"critical\", found \"info\"");
}

static void
actions_from_json__clone_role_not_reserve__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 5), "role", json_string("replica"));
	expect_problem(&c, "actions[5].role", "expected \"reserve\", found \"replica\"");
}

static void
actions_from_json__negative_servers_needed__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 9), "servers_needed", json_integer(-2));
	expect_problem(&c, "actions[9].servers_needed",
	    "expected an integer from 0, found a negative one");
}

static void
actions_from_json__shard_down_not_a_boolean__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 7), "shard_down", json_integer(1));
	expect_problem(&c, "actions[7].shard_down", "expected a boolean, found an integer");
}

static void
actions_from_json__shard_down_without_shard__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 7), "shard");
	json_object_set_new(action(&c, 7), "shard_down", json_true());
	expect_problem(&c, "actions[7].shard_down", "a shard marked down needs the member shard");
}

static void
actions_from_json__missing_reason__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 4), "reason");
	expect_problem(&c, "actions[4].reason", "missing required field");
}

static void
actions_from_json__missing_id__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 4), "id");
	expect_problem(&c, "actions[4].id", "missing required field");
}

static void
actions_from_json__duplicate_id__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 3), "id", json_string("a2"));
	expect_problem(&c, "actions[3].id", "duplicate id \"a2\" (also actions[1])");
}

static void
actions_from_json__id_out_of_order__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 3), "id", json_string("fence-1"));
	expect_problem(&c, "actions[3].id",
	    "expected \"a4\" (ids are a1, a2, ... in order), found \"fence-1\"");
}

static void
actions_from_json__missing_after__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(action(&c, 0), "after");
	expect_problem(&c, "actions[0].after", "missing required field");
}

static void
actions_from_json__after_names_a_later_action__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_array_append_new(json_object_get(action(&c, 1), "after"), json_string("a3"));
	expect_problem(&c, "actions[1].after[1]",
	    "\"a3\" is not an earlier action: an action waits only for earlier ones");
}

static void
actions_from_json__after_names_the_action_itself__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_array_append_new(json_object_get(action(&c, 0), "after"), json_string("a1"));
	expect_problem(&c, "actions[0].after[0]",
	    "\"a1\" is not an earlier action: an action waits only for earlier ones");
}

static void
actions_from_json__after_names_an_unknown_id__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_array_append_new(json_object_get(action(&c, 2), "after"), json_string("a01"));
	expect_problem(&c, "actions[2].after[1]", "unknown action id \"a01\"");
}

static void
actions_from_json__after_entry_not_a_string__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_array_append_new(json_object_get(action(&c, 2), "after"), json_integer(1));
	expect_problem(&c, "actions[2].after[1]", "expected an action id, found an integer");
}

static void
actions_from_json__after_lists_an_action_twice__is_rejected(void **state)
{
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_array_append_new(json_object_get(action(&c, 2), "after"), json_string("a2"));
	expect_problem(&c, "actions[2].after[1]", "\"a2\" is listed twice");
}

static void
actions_from_json__more_than_max_after__is_rejected(void **state)
{
	json_t *after;
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	after = json_object_get(action(&c, 9), "after");
	json_array_append_new(after, json_string("a1"));
	json_array_append_new(after, json_string("a2"));
	json_array_append_new(after, json_string("a3"));
	json_array_append_new(after, json_string("a4"));
	json_array_append_new(after, json_string("a5"));
	expect_problem(&c, "actions[9].after", "expected at most 4 action ids, found 5");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(actions_from_json__not_an_object__is_rejected),
		cmocka_unit_test(actions_from_json__wrong_format__is_rejected),
		cmocka_unit_test(actions_from_json__missing_format__is_rejected),
		cmocka_unit_test(actions_from_json__topology_version_not_an_integer__is_rejected),
		cmocka_unit_test(actions_from_json__negative_topology_version__is_rejected),
		cmocka_unit_test(actions_from_json__health_probed_at_not_a_string__is_rejected),
		cmocka_unit_test(actions_from_json__missing_actions__is_rejected),
		cmocka_unit_test(actions_from_json__actions_not_an_array__is_rejected),
		cmocka_unit_test(actions_from_json__action_not_an_object__is_rejected),
		cmocka_unit_test(actions_from_json__unknown_kind__is_rejected),
		cmocka_unit_test(actions_from_json__missing_kind__is_rejected),
		cmocka_unit_test(actions_from_json__promote_without_old_primary__is_rejected),
		cmocka_unit_test(actions_from_json__promote_without_lsn__is_rejected),
		cmocka_unit_test(actions_from_json__repoint_without_primary__is_rejected),
		cmocka_unit_test(actions_from_json__fence_without_shard__is_rejected),
		cmocka_unit_test(actions_from_json__missing_server__is_rejected),
		cmocka_unit_test(actions_from_json__alert_without_severity__is_rejected),
		cmocka_unit_test(actions_from_json__unknown_server__is_rejected_at_its_path),
		cmocka_unit_test(actions_from_json__unknown_old_primary__is_rejected_at_its_path),
		cmocka_unit_test(actions_from_json__unknown_primary__is_rejected_at_its_path),
		cmocka_unit_test(actions_from_json__unknown_shard__is_rejected_at_its_path),
		cmocka_unit_test(actions_from_json__server_not_a_string__is_rejected),
		cmocka_unit_test(actions_from_json__bad_lsn__is_rejected),
		cmocka_unit_test(actions_from_json__unknown_severity__is_rejected),
		cmocka_unit_test(actions_from_json__clone_role_not_reserve__is_rejected),
		cmocka_unit_test(actions_from_json__negative_servers_needed__is_rejected),
		cmocka_unit_test(actions_from_json__shard_down_not_a_boolean__is_rejected),
		cmocka_unit_test(actions_from_json__shard_down_without_shard__is_rejected),
		cmocka_unit_test(actions_from_json__missing_reason__is_rejected),
		cmocka_unit_test(actions_from_json__missing_id__is_rejected),
		cmocka_unit_test(actions_from_json__duplicate_id__is_rejected),
		cmocka_unit_test(actions_from_json__id_out_of_order__is_rejected),
		cmocka_unit_test(actions_from_json__missing_after__is_rejected),
		cmocka_unit_test(actions_from_json__after_names_a_later_action__is_rejected),
		cmocka_unit_test(actions_from_json__after_names_the_action_itself__is_rejected),
		cmocka_unit_test(actions_from_json__after_names_an_unknown_id__is_rejected),
		cmocka_unit_test(actions_from_json__after_entry_not_a_string__is_rejected),
		cmocka_unit_test(actions_from_json__after_lists_an_action_twice__is_rejected),
		cmocka_unit_test(actions_from_json__more_than_max_after__is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
