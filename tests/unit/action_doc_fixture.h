/* action_doc_fixture.h -- a valid action document, changed in one place per test
 *
 * The document is a plan over cluster() naming every kind; each test in
 * test_action_read_errors.c changes one member and expects exactly one
 * problem, and test_action_read.c reads it back.
 */
#ifndef SHARDKIT_TEST_ACTION_DOC_FIXTURE_H
#define SHARDKIT_TEST_ACTION_DOC_FIXTURE_H

#include "orchestrate_fixture.h"

/* s1: pg1 primary, pg2 and pg3 replicas, pg7 reserve; s2: pg4 primary, pg5 and pg6 replicas, pg8 and pg9 reserves. */
FIXTURE void
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

/*
 * A valid plan over cluster(): JSON written with single quotes for
 * legibility, turned into double quotes before parsing.
 */
static const char base_text[] __attribute__((unused)) =
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

FIXTURE void
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

FIXTURE json_t *
action(struct doc_case *c, size_t i)
{
	return json_array_get(json_object_get(c->doc, "actions"), i);
}

/* The document is rejected with exactly one problem: path, message. */
FIXTURE void
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
FIXTURE void
expect_read(struct doc_case *c, struct action_list *list)
{
	struct problems problems = { 0 };

	if (actions_from_json(c->doc, &c->f.topo, list, &problems) != 0)
		problems_report(&problems, "test", 0);
	assert_int_equal(problems.count, 0);
	problems_free(&problems);
}

FIXTURE void
doc_case_free(struct doc_case *c, struct action_list *list)
{
	action_list_free(list);
	json_decref(c->doc);
	fixture_free(&c->f);
}

#endif
