/* test_action_read.c -- shardkit-actions/1 documents read back (action_read.c)
 *
 * The round trip is the contract: every plan the fixtures make, rendered by
 * orchestrate_plan_json and read by actions_from_json, gives the same
 * actions (check_round_trip in orchestrate_fixture.h, run by plan() for
 * every scenario here, in test_orchestrate.c and over the property test's
 * random clusters).  The scenarios here together reach every kind.  Then
 * valid documents read member by member, and actions_load over files.
 * Each problem a document can have is in test_action_read_errors.c.
 */

#include <unistd.h>

#include "action_doc_fixture.h"

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

/* ---- valid documents ---------------------------------------------------- */

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
		cmocka_unit_test(actions_from_json__several_problems__are_all_listed),
		cmocka_unit_test(actions_load__valid_file__reads_it),
		cmocka_unit_test(actions_load__truncated_file__is_bad_input),
		cmocka_unit_test(actions_load__invalid_document__is_bad_input),
		cmocka_unit_test(actions_load__missing_file__is_a_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
