/* test_action_read.c -- shardkit-actions/1 documents read back (action_read.c)
 *
 * The round trip is the contract: every plan the fixtures make, rendered by
 * orchestrate_plan_json and read by actions_from_json, gives the same
 * actions (check_round_trip in orchestrate_fixture.h, run by plan() for
 * every scenario here, in test_orchestrate.c and over the property test's
 * random clusters).  The scenarios here together reach every kind.  Then
 * one test per problem a document can have, each against a valid document
 * changed in one place.
 */

#include <unistd.h>

#include "orchestrate_fixture.h"

/* s1: pg1 primary, pg2 and pg3 replicas, pg7 reserve; s2: pg4 primary, pg5, pg8 and pg9 reserves. */
static void
cluster(struct fixture *f)
{
	fixture_init(f, MODE_PRIMARY_REPLICA, 3);
	server(f, "pg1", "s1", ROLE_PRIMARY, SERVER_UP);
	server(f, "pg2", "s1", ROLE_REPLICA, SERVER_UP);
	server(f, "pg3", "s1", ROLE_REPLICA, SERVER_UP);
	server(f, "pg7", "s1", ROLE_RESERVE, SERVER_UP);
	server(f, "pg4", "s2", ROLE_PRIMARY, SERVER_UP);
	server(f, "pg5", "s2", ROLE_REPLICA, SERVER_UP);
	server(f, "pg6", "s2", ROLE_REPLICA, SERVER_UP);
	server(f, "pg8", "s2", ROLE_RESERVE, SERVER_UP);
	server(f, "pg9", "s2", ROLE_RESERVE, SERVER_UP);
}

static void
note_kinds(const struct fixture *f, int *seen)
{
	size_t i;

	for (i = 0; i < f->plan.count; i++)
		seen[f->plan.actions[i].kind] = 1;
}

/* Primary of s1 lost; replica pg2 and reserve pg7 lost with it: every replica kind. */
static void
scenario_failover(int *seen, int64_t reserve_target, uint64_t lsn)
{
	struct fixture f;

	cluster(&f);
	f.reserve_target = reserve_target;
	down(&f, "pg1", 3);
	down(&f, "pg7", 3);
	lsns(&f, "pg2", lsn, lsn);
	lsns(&f, "pg3", lsn, lsn);
	server(&f, "pg20", "s2", ROLE_REPLICA, SERVER_DOWN);
	plan(&f);
	note_kinds(&f, seen);
	fixture_free(&f);
}

/* A replica lost where the shard has no reserve: one is borrowed (detach). */
static void
scenario_borrow(int *seen)
{
	struct fixture f;

	cluster(&f);
	down(&f, "pg2", 3);
	down(&f, "pg7", 3);
	plan(&f);
	note_kinds(&f, seen);
	fixture_free(&f);
}

/* No-replication: one shard lost (marked down), another one returning. */
static void
scenario_no_replication(int *seen)
{
	struct fixture f;

	fixture_init(&f, MODE_NO_REPLICATION, 1);
	server(&f, "pg1", "s1", ROLE_PRIMARY, SERVER_UP);
	server(&f, "pg2", "s2", ROLE_PRIMARY, SERVER_DOWN);
	server(&f, "pg3", "s3", ROLE_PRIMARY, SERVER_UP);
	server(&f, "pg4", NULL, ROLE_NONE, SERVER_UP);
	f.topo.shards[1].state = SHARD_DOWN;
	down(&f, "pg1", 3);
	down(&f, "pg4", 3);
	plan(&f);
	note_kinds(&f, seen);
	fixture_free(&f);
}

static void
actions_from_json__plans_of_every_kind__give_back_the_same_actions(void **state)
{
	int seen[ACTION_ALERT + 1] = { 0 };
	size_t k;

	(void)state;
	scenario_failover(seen, 0, LSN(0, 0x3000148));
	/* No position known: the promote's lsn is null and reads back as 0. */
	scenario_failover(seen, 6, 0);
	scenario_borrow(seen);
	scenario_no_replication(seen);
	for (k = 0; k <= ACTION_ALERT; k++)
		if (!seen[k])
			fail_msg("no scenario plans a %s action", action_kind_name((enum action_kind)k));
}

static void
actions_from_json__empty_plan__gives_no_actions(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	plan(&f);
	assert_int_equal(f.plan.count, 0);
	fixture_free(&f);
}

/* ---- one problem at a time --------------------------------------------- */

/*
 * A valid plan over cluster(): JSON written with single quotes for
 * legibility, turned into double quotes before parsing.
 */
static const char base_text[] =
	"{'format': 'shardkit-actions/1', 'topology_version': 5,"
	" 'health_probed_at': '2026-11-25T21:04:05Z', 'failure_threshold': 3, 'actions': ["
	"{'id': 'a1', 'kind': 'fence', 'shard': 's1', 'server': 'pg1', 'after': [], 'reason': 'r1'},"
	"{'id': 'a2', 'kind': 'promote', 'shard': 's1', 'server': 'pg2', 'old_primary': 'pg1',"
	" 'lsn': '0/3000148', 'after': ['a1'], 'reason': 'r2'},"
	"{'id': 'a3', 'kind': 'repoint', 'shard': 's1', 'server': 'pg3', 'primary': 'pg2',"
	" 'after': ['a2'], 'reason': 'r3'},"
	"{'id': 'a4', 'kind': 'detach', 'shard': 's2', 'server': 'pg8', 'after': [], 'reason': 'r4'},"
	"{'id': 'a5', 'kind': 'wipe', 'shard': 's2', 'server': 'pg8', 'after': ['a4'], 'reason': 'r5'},"
	"{'id': 'a6', 'kind': 'clone', 'shard': 's1', 'server': 'pg8', 'primary': 'pg2',"
	" 'role': 'reserve', 'after': ['a5', 'a2'], 'reason': 'r6'},"
	"{'id': 'a7', 'kind': 'activate_reserve', 'shard': 's1', 'server': 'pg8',"
	" 'after': ['a6', 'a2'], 'reason': 'r7'},"
	"{'id': 'a8', 'kind': 'mark_down', 'shard': 's1', 'server': 'pg7', 'after': [], 'reason': 'r8'},"
	"{'id': 'a9', 'kind': 'mark_active', 'shard': 's2', 'server': 'pg9', 'after': [], 'reason': 'r9'},"
	"{'id': 'a10', 'kind': 'alert', 'severity': 'warning', 'servers_needed': 2,"
	" 'after': [], 'reason': 'r10'}"
	"], 'topology': {'format': 'shardkit-topology/1', 'version': 6}}";

struct doc_case {
	struct fixture f;
	json_t *doc;
};

static void
doc_case_init(struct doc_case *c)
{
	char *text = xstrdup(base_text), *q;

	cluster(&c->f);
	for (q = text; *q != '\0'; q++)
		if (*q == '\'')
			*q = '"';
	c->doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(c->doc);
	free(text);
}

static json_t *
action(struct doc_case *c, size_t i)
{
	return json_array_get(json_object_get(c->doc, "actions"), i);
}

/* The document is rejected with exactly one problem: path, message. */
static void
expect_problem(struct doc_case *c, const char *path, const char *message)
{
	struct problems problems = { 0 };
	struct action_list list;

	assert_int_equal(actions_from_json(c->doc, &c->f.topo, &list, &problems), -1);
	assert_int_equal(list.count, 0);
	assert_null(list.actions);
	assert_null(list.health_probed_at);
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, path);
	assert_string_equal(problems.items[0].message, message);
	problems_free(&problems);
	json_decref(c->doc);
	fixture_free(&c->f);
}

/* The document reads; list receives it (caller frees it and the case). */
static void
expect_read(struct doc_case *c, struct action_list *list)
{
	struct problems problems = { 0 };

	if (actions_from_json(c->doc, &c->f.topo, list, &problems) != 0)
		problems_report(&problems, "test", 0);
	assert_int_equal(problems.count, 0);
	problems_free(&problems);
}

static void
doc_case_free(struct doc_case *c, struct action_list *list)
{
	action_list_free(list);
	json_decref(c->doc);
	fixture_free(&c->f);
}

static void
actions_from_json__valid_document__reads_every_member(void **state)
{
	struct action_list list;
	struct doc_case c;
	const struct action *a;

	(void)state;
	doc_case_init(&c);
	expect_read(&c, &list);
	assert_int_equal(list.topology_version, 5);
	assert_string_equal(list.health_probed_at, "2026-11-25T21:04:05Z");
	assert_int_equal(list.count, 10);
	a = &list.actions[1];
	assert_int_equal(a->kind, ACTION_PROMOTE);
	assert_int_equal(a->server, topology_find_server(&c.f.topo, "pg2"));
	assert_int_equal(a->shard, topology_find_shard(&c.f.topo, "s1"));
	assert_int_equal(a->primary, topology_find_server(&c.f.topo, "pg1"));
	assert_true(a->lsn == LSN(0, 0x3000148));
	assert_int_equal(a->after_count, 1);
	assert_int_equal(a->after[0], 0);
	assert_string_equal(a->reason, "r2");
	a = &list.actions[5];
	assert_int_equal(a->kind, ACTION_CLONE);
	assert_int_equal(a->primary, topology_find_server(&c.f.topo, "pg2"));
	assert_int_equal(a->after_count, 2);
	assert_int_equal(a->after[0], 4);
	assert_int_equal(a->after[1], 1);
	a = &list.actions[9];
	assert_int_equal(a->kind, ACTION_ALERT);
	assert_int_equal(a->severity, ALERT_WARNING);
	assert_int_equal(a->servers_needed, 2);
	assert_int_equal(a->server, -1);
	assert_int_equal(a->shard, -1);
	assert_int_equal(a->primary, -1);
	doc_case_free(&c, &list);
}

static void
actions_from_json__unknown_members_and_no_topology__are_ignored(void **state)
{
	struct action_list list;
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_del(c.doc, "topology");
	json_object_set_new(c.doc, "comment", json_string("from a later writer"));
	json_object_set_new(action(&c, 0), "deadline", json_integer(30));
	/* A member the kind does not use is not read, even where it would be wrong. */
	json_object_set_new(action(&c, 0), "primary", json_string("nosuch"));
	json_object_set_new(action(&c, 0), "shard_down", json_string("yes"));
	expect_read(&c, &list);
	assert_int_equal(list.count, 10);
	assert_int_equal(list.actions[0].primary, -1);
	assert_int_equal(list.actions[0].shard_down, 0);
	doc_case_free(&c, &list);
}

static void
actions_from_json__other_topology_version__is_read_all_the_same(void **state)
{
	struct action_list list;
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(c.doc, "topology_version", json_integer(41));
	expect_read(&c, &list);
	assert_int_equal(list.topology_version, 41);
	doc_case_free(&c, &list);
}

static void
actions_from_json__null_lsn__reads_as_zero(void **state)
{
	struct action_list list;
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 1), "lsn", json_null());
	expect_read(&c, &list);
	assert_true(list.actions[1].lsn == 0);
	doc_case_free(&c, &list);
}

static void
actions_from_json__mark_down_of_a_shard__reads_shard_down_and_data_loss(void **state)
{
	struct action_list list;
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 7), "shard_down", json_true());
	json_object_set_new(action(&c, 7), "data_loss", json_true());
	expect_read(&c, &list);
	assert_true(list.actions[7].shard_down);
	assert_true(list.actions[7].data_loss);
	doc_case_free(&c, &list);
}

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

static void
actions_from_json__several_problems__are_all_listed(void **state)
{
	struct problems problems = { 0 };
	struct action_list list;
	struct doc_case c;

	(void)state;
	doc_case_init(&c);
	json_object_set_new(action(&c, 0), "server", json_string("pg99"));
	json_object_set_new(action(&c, 9), "severity", json_string("info"));
	json_object_del(c.doc, "format");
	assert_int_equal(actions_from_json(c.doc, &c.f.topo, &list, &problems), -1);
	assert_int_equal(problems.count, 3);
	assert_string_equal(problems.items[0].path, "format");
	assert_string_equal(problems.items[1].path, "actions[0].server");
	assert_string_equal(problems.items[2].path, "actions[9].severity");
	problems_free(&problems);
	json_decref(c.doc);
	fixture_free(&c.f);
}

/* ---- actions_load: the file path, as plan-apply reads it ---------------- */

static char *
write_temp(const char *text)
{
	char *path = xstrdup("/tmp/test_action_read.XXXXXX");
	int fd = mkstemp(path);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void
actions_load__valid_file__reads_it(void **state)
{
	struct action_list list;
	struct doc_case c;
	char *text, *path;

	(void)state;
	doc_case_init(&c);
	text = json_dumps(c.doc, 0);
	path = write_temp(text);
	assert_int_equal(actions_load(path, &c.f.topo, &list), 0);
	assert_int_equal(list.count, 10);
	unlink(path);
	free(path);
	free(text);
	doc_case_free(&c, &list);
}

static void
actions_load__truncated_file__is_bad_input(void **state)
{
	struct action_list list;
	struct fixture f;
	char *path;

	(void)state;
	cluster(&f);
	path = write_temp("{\"format\": \"shardkit-actions/1\", \"actions\": [");
	assert_int_equal(actions_load(path, &f.topo, &list), EXIT_STATUS_INPUT);
	assert_int_equal(list.count, 0);
	unlink(path);
	free(path);
	fixture_free(&f);
}

static void
actions_load__invalid_document__is_bad_input(void **state)
{
	struct action_list list;
	struct fixture f;
	char *path;

	(void)state;
	cluster(&f);
	path = write_temp("{\"format\": \"shardkit-actions/1\", \"topology_version\": 5}");
	assert_int_equal(actions_load(path, &f.topo, &list), EXIT_STATUS_INPUT);
	assert_int_equal(list.count, 0);
	unlink(path);
	free(path);
	fixture_free(&f);
}

static void
actions_load__missing_file__is_a_failure(void **state)
{
	struct action_list list;
	struct fixture f;

	(void)state;
	cluster(&f);
	assert_int_equal(actions_load("/nonexistent/plan.json", &f.topo, &list),
	    EXIT_STATUS_FAILURE);
	assert_int_equal(list.count, 0);
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(actions_from_json__plans_of_every_kind__give_back_the_same_actions),
		cmocka_unit_test(actions_from_json__empty_plan__gives_no_actions),
		cmocka_unit_test(actions_from_json__valid_document__reads_every_member),
		cmocka_unit_test(actions_from_json__unknown_members_and_no_topology__are_ignored),
		cmocka_unit_test(actions_from_json__other_topology_version__is_read_all_the_same),
		cmocka_unit_test(actions_from_json__null_lsn__reads_as_zero),
		cmocka_unit_test(actions_from_json__mark_down_of_a_shard__reads_shard_down_and_data_loss),
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
		cmocka_unit_test(actions_from_json__several_problems__are_all_listed),
		cmocka_unit_test(actions_load__valid_file__reads_it),
		cmocka_unit_test(actions_load__truncated_file__is_bad_input),
		cmocka_unit_test(actions_load__invalid_document__is_bad_input),
		cmocka_unit_test(actions_load__missing_file__is_a_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
