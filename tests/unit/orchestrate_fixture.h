/* orchestrate_fixture.h -- clusters and sweeps built by hand for the planner's tests
 *
 * A fixture is a topology, the health document of one sweep over it and the
 * failed-probe counts, built the way health-probe and the --state file
 * would give them.  check_plan() asserts what must hold of every plan,
 * whatever the input: it checks the plan against the topologies
 * themselves, never against the planner's bookkeeping.
 */
#ifndef SHARDKIT_TEST_ORCHESTRATE_FIXTURE_H
#define SHARDKIT_TEST_ORCHESTRATE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "error.h"
#include "health.h"
#include "health_read.h"
#include "orchestrate.h"
#include "topology.h"

#define FIXTURE static __attribute__((unused))
#define FIXTURE_MAX 64
#define LSN(hi, lo) (((uint64_t)(hi) << 32) | (uint64_t)(lo))

struct fixture {
	struct topology topo;
	struct health_doc health;
	int64_t failures[FIXTURE_MAX];
	int64_t threshold;
	int64_t reserve_target;
	struct orchestrate_input in;
	struct orchestrate_plan plan;
};

FIXTURE void
fixture_init(struct fixture *f, enum topology_mode mode, int replication_factor)
{
	memset(f, 0, sizeof(*f));
	f->topo.version = 5;
	f->topo.mode = mode;
	f->topo.replication_factor = replication_factor;
	f->topo.vnodes = 4;
	f->topo.migrations = json_array();
	f->health.topology_version = 5;
	f->health.probed_at = xstrdup("2026-11-25T21:04:05Z");
	f->health.servers = xcalloc(FIXTURE_MAX, sizeof(*f->health.servers));
	f->threshold = 3;
}

FIXTURE int
shard(struct fixture *f, const char *id)
{
	int s = topology_find_shard(&f->topo, id);

	return s >= 0 ? s : topology_add_shard(&f->topo, id, SHARD_ACTIVE);
}

/* A server in shard_id (NULL: none), reachable as what its role makes it. */
FIXTURE int
server(struct fixture *f, const char *id, const char *shard_id, enum server_role role,
    enum server_state state)
{
	char conninfo[64];
	struct health_observation *o = &f->health.servers[f->health.count++];
	int i;

	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%zu", 5500 + f->topo.server_count);
	i = topology_add_server(&f->topo, id, conninfo, "");
	f->topo.servers[i].role = role;
	f->topo.servers[i].state = state;
	f->topo.servers[i].shard = shard_id != NULL ? shard(f, shard_id) : -1;
	o->id = xstrdup(id);
	o->reachable = 1;
	o->observed = role == ROLE_PRIMARY ? HEALTH_ROLE_PRIMARY : HEALTH_ROLE_REPLICA;
	if (role == ROLE_PRIMARY)
		o->current_lsn = LSN(0, 0x3000000);
	else
		o->received_lsn = o->replayed_lsn = LSN(0, 0x3000000);
	return i;
}

FIXTURE struct health_observation *
obs(struct fixture *f, const char *id)
{
	return (struct health_observation *)health_doc_find(&f->health, id);
}

/* Unreachable in this sweep, after failures consecutive failed probes. */
FIXTURE void
down(struct fixture *f, const char *id, int64_t failures)
{
	struct health_observation *o = obs(f, id);

	o->reachable = 0;
	o->observed = HEALTH_ROLE_UNKNOWN;
	o->current_lsn = o->received_lsn = o->replayed_lsn = 0;
	free(o->error);
	o->error = xstrdup("connection refused");
	f->failures[topology_find_server(&f->topo, id)] = failures;
}

FIXTURE void
lsns(struct fixture *f, const char *id, uint64_t received, uint64_t replayed)
{
	obs(f, id)->received_lsn = received;
	obs(f, id)->replayed_lsn = replayed;
}

/* The n-th action (from 0) of kind on server id (NULL: any), or NULL. */
FIXTURE const struct action *
find(const struct fixture *f, enum action_kind kind, const char *id, int n)
{
	size_t i;

	for (i = 0; i < f->plan.count; i++) {
		const struct action *a = &f->plan.actions[i];

		if (a->kind == kind && (id == NULL ||
		    (a->server >= 0 && strcmp(f->topo.servers[a->server].id, id) == 0)) && n-- == 0)
			return a;
	}
	return NULL;
}

FIXTURE size_t
count(const struct fixture *f, enum action_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < f->plan.count; i++)
		n += f->plan.actions[i].kind == kind;
	return n;
}

FIXTURE size_t
index_of(const struct fixture *f, const struct action *a)
{
	assert_non_null(a);
	return (size_t)(a - f->plan.actions);
}

/* b waits for a (directly or through other actions). */
FIXTURE int
waits_for(const struct fixture *f, const struct action *b, const struct action *a)
{
	size_t i;

	for (i = 0; i < b->after_count; i++) {
		const struct action *d = &f->plan.actions[b->after[i]];

		if (d == a || waits_for(f, d, a))
			return 1;
	}
	return 0;
}

FIXTURE const struct topology_server *
result(const struct fixture *f, const char *id)
{
	return &f->plan.result.servers[topology_find_server(&f->plan.result, id)];
}

/*
 * Invariants of every plan: dependencies point backwards; no reserve is
 * promoted; the resulting topology validates (so never two primaries in a
 * shard); its version moves exactly when something changes; a document
 * that does not describe the topology yields alerts only.
 */
FIXTURE void
check_plan(const struct fixture *f)
{
	struct problems problems = { 0 };
	int changed = 0;
	size_t i, k;

	for (i = 0; i < f->plan.count; i++) {
		const struct action *a = &f->plan.actions[i];

		for (k = 0; k < a->after_count; k++)
			assert_true(a->after[k] < i);
		assert_non_null(a->reason);
		assert_true(strlen(a->reason) > 0);
		if (a->kind == ACTION_PROMOTE) {
			assert_int_equal(f->topo.servers[a->server].role, ROLE_REPLICA);
			assert_int_equal(f->plan.result.servers[a->server].role, ROLE_PRIMARY);
		}
		if (f->plan.mismatch)
			assert_int_equal(a->kind, ACTION_ALERT);
		changed |= a->kind != ACTION_ALERT && a->kind != ACTION_REPOINT;
	}
	topology_validate(&f->plan.result, &problems);
	if (problems_count(&problems, PROBLEM_ERROR) > 0)
		problems_report(&problems, "result", 0);
	assert_int_equal(problems_count(&problems, PROBLEM_ERROR), 0);
	problems_free(&problems);
	assert_int_equal(f->plan.result.version, f->topo.version + changed);
}

/*
 * The plan's document, rendered to text and read back against the input
 * topology (action_read.c), gives the same actions field by field: what an
 * executor carries out is exactly what was planned.
 */
FIXTURE void
check_round_trip(const struct fixture *f)
{
	struct problems problems = { 0 };
	json_t *doc = orchestrate_plan_json(&f->plan, &f->in), *again;
	char *text = json_dumps(doc, JSON_COMPACT);
	struct action_list list;
	size_t i, k;

	again = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(again);
	if (actions_from_json(again, &f->topo, &list, &problems) != 0)
		problems_report(&problems, "round trip", 0);
	assert_int_equal(problems_count(&problems, PROBLEM_ERROR), 0);
	assert_int_equal(list.topology_version, f->topo.version);
	assert_string_equal(list.health_probed_at, f->health.probed_at);
	assert_int_equal(list.count, f->plan.count);
	for (i = 0; i < list.count; i++) {
		const struct action *a = &f->plan.actions[i], *b = &list.actions[i];

		assert_int_equal(b->kind, a->kind);
		assert_int_equal(b->server, a->server);
		assert_int_equal(b->shard, a->shard);
		assert_int_equal(b->primary, a->primary);
		assert_int_equal(b->lsn, a->lsn);
		assert_int_equal(b->shard_down, a->shard_down);
		assert_int_equal(b->data_loss, a->data_loss);
		assert_int_equal(b->severity, a->severity);
		assert_int_equal(b->servers_needed, a->servers_needed);
		assert_int_equal(b->after_count, a->after_count);
		for (k = 0; k < a->after_count; k++)
			assert_int_equal(b->after[k], a->after[k]);
		assert_string_equal(b->reason, a->reason);
	}
	action_list_free(&list);
	problems_free(&problems);
	json_decref(again);
	free(text);
	json_decref(doc);
}

FIXTURE void
plan(struct fixture *f)
{
	f->in.topo = &f->topo;
	f->in.health = &f->health;
	f->in.failures = f->failures;
	f->in.failure_threshold = f->threshold;
	f->in.reserve_target = f->reserve_target;
	orchestrate_plan(&f->in, &f->plan);
	check_plan(f);
	check_round_trip(f);
}

FIXTURE void
fixture_free(struct fixture *f)
{
	orchestrate_plan_free(&f->plan);
	health_doc_free(&f->health);
	topology_free(&f->topo);
}

#endif
