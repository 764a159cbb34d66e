/* test_orchestrate.c -- the planner's rules, one scenario each
 *
 * Every scenario is a topology and one sweep built by hand
 * (orchestrate_fixture.h); every plan also passes check_plan()'s
 * invariants.  Random clusters are in test_orchestrate_property.c.
 */

#include "orchestrate_fixture.h"

/* s1: pg1 primary, pg2 and pg3 replicas, pg7 reserve; s2: pg4 primary, pg5 and pg6, pg8 and pg9 reserves. */
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
orchestrate_plan__healthy_cluster__plans_nothing(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	f.reserve_target = 3;
	plan(&f);
	assert_int_equal(f.plan.count, 0);
	assert_int_equal(orchestrate_exit_status(&f.plan), EXIT_STATUS_OK);
	fixture_free(&f);
}

static void
orchestrate_plan__primary_lost__fences_promotes_the_most_advanced_and_repoints(void **state)
{
	const struct action *fence, *promote, *repoint, *activate;
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	lsns(&f, "pg2", LSN(0, 0x3000100), LSN(0, 0x3000100));
	lsns(&f, "pg3", LSN(0, 0x3000148), LSN(0, 0x3000000));
	lsns(&f, "pg7", LSN(0, 0x3000100), LSN(0, 0x3000100));
	plan(&f);
	fence = find(&f, ACTION_FENCE, "pg1", 0);
	promote = find(&f, ACTION_PROMOTE, NULL, 0);
	assert_non_null(fence);
	assert_int_equal(count(&f, ACTION_PROMOTE), 1);
	assert_string_equal(f.topo.servers[promote->server].id, "pg3");
	assert_true(promote->lsn == LSN(0, 0x3000148));
	assert_string_equal(f.topo.servers[promote->primary].id, "pg1");
	assert_true(waits_for(&f, promote, fence));
	assert_non_null(strstr(promote->reason, "highest received LSN 0/3000148"));
	assert_non_null(strstr(promote->reason, "unreachable for 3 consecutive probes (connection refused)"));
	repoint = find(&f, ACTION_REPOINT, "pg2", 0);
	assert_non_null(repoint);
	assert_string_equal(f.topo.servers[repoint->primary].id, "pg3");
	assert_true(waits_for(&f, repoint, promote));
	assert_non_null(find(&f, ACTION_REPOINT, "pg7", 0));
	/* The old primary is gone, so the shard's reserve restores the factor. */
	activate = find(&f, ACTION_ACTIVATE_RESERVE, "pg7", 0);
	assert_non_null(activate);
	assert_true(waits_for(&f, activate, promote));
	assert_int_equal(result(&f, "pg1")->state, SERVER_FENCED);
	assert_int_equal(result(&f, "pg1")->shard, -1);
	assert_int_equal(result(&f, "pg3")->role, ROLE_PRIMARY);
	assert_int_equal(result(&f, "pg7")->role, ROLE_REPLICA);
	assert_int_equal(orchestrate_exit_status(&f.plan), EXIT_STATUS_PLANNED);
	fixture_free(&f);
}

static void
orchestrate_plan__equal_received_lsn__higher_replayed_wins(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	lsns(&f, "pg2", LSN(0, 0x5000), LSN(0, 0x4000));
	lsns(&f, "pg3", LSN(0, 0x5000), LSN(0, 0x4800));
	plan(&f);
	assert_string_equal(f.topo.servers[find(&f, ACTION_PROMOTE, NULL, 0)->server].id, "pg3");
	fixture_free(&f);
}

static void
orchestrate_plan__identical_positions__first_in_topology_wins(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	plan(&f);
	assert_string_equal(f.topo.servers[find(&f, ACTION_PROMOTE, NULL, 0)->server].id, "pg2");
	fixture_free(&f);
}

static void
orchestrate_plan__no_received_lsn__replayed_lsn_stands_in(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	/* pg2 restored from an archive: it has replayed WAL but received none by streaming. */
	lsns(&f, "pg2", 0, LSN(0, 0x9000));
	lsns(&f, "pg3", LSN(0, 0x8000), LSN(0, 0x8000));
	plan(&f);
	assert_string_equal(f.topo.servers[find(&f, ACTION_PROMOTE, NULL, 0)->server].id, "pg2");
	fixture_free(&f);
}

static void
orchestrate_plan__reserve_most_advanced__is_never_promoted_and_is_recloned(void **state)
{
	const struct action *promote;
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	lsns(&f, "pg7", LSN(0, 0x9000000), LSN(0, 0x9000000));
	plan(&f);
	promote = find(&f, ACTION_PROMOTE, NULL, 0);
	assert_string_equal(f.topo.servers[promote->server].id, "pg2");
	/* Ahead of the new primary, the reserve cannot follow its timeline. */
	assert_null(find(&f, ACTION_REPOINT, "pg7", 0));
	assert_non_null(find(&f, ACTION_WIPE, "pg7", 0));
	assert_true(waits_for(&f, find(&f, ACTION_CLONE, "pg7", 0), promote));
	assert_int_equal(result(&f, "pg7")->role, ROLE_REPLICA);
	fixture_free(&f);
}

static void
orchestrate_plan__primary_below_threshold__waits(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 2);
	plan(&f);
	assert_int_equal(f.plan.count, 0);
	fixture_free(&f);
}

static void
orchestrate_plan__no_reachable_replica__alerts_without_promotion(void **state)
{
	const struct action *a;
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	down(&f, "pg2", 1);
	down(&f, "pg3", 3);
	plan(&f);
	assert_int_equal(count(&f, ACTION_PROMOTE), 0);
	assert_int_equal(count(&f, ACTION_FENCE), 0);
	assert_int_equal(count(&f, ACTION_ACTIVATE_RESERVE), 0);
	a = find(&f, ACTION_ALERT, "pg1", 0);
	assert_non_null(a);
	assert_int_equal(a->severity, ALERT_CRITICAL);
	assert_non_null(strstr(a->reason, "no active replica is reachable"));
	/* The lost replica is still marked down. */
	assert_non_null(find(&f, ACTION_MARK_DOWN, "pg3", 0));
	assert_int_equal(result(&f, "pg1")->role, ROLE_PRIMARY);
	fixture_free(&f);
}

static void
orchestrate_plan__interrupted_promotion__is_completed_on_the_same_server(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 5);
	/* pg3 was promoted by a plan-apply that died before writing the topology. */
	obs(&f, "pg3")->observed = HEALTH_ROLE_PRIMARY;
	obs(&f, "pg3")->current_lsn = LSN(0, 0x3000000);
	lsns(&f, "pg2", LSN(0, 0x4000000), LSN(0, 0x4000000));
	plan(&f);
	assert_int_equal(count(&f, ACTION_PROMOTE), 1);
	assert_string_equal(f.topo.servers[find(&f, ACTION_PROMOTE, NULL, 0)->server].id, "pg3");
	assert_int_equal(count(&f, ACTION_ALERT), 0);
	fixture_free(&f);
}

static void
orchestrate_plan__replica_lost_with_reserve__activates_it_at_once(void **state)
{
	const struct action *mark, *activate;
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg2", 4);
	plan(&f);
	mark = find(&f, ACTION_MARK_DOWN, "pg2", 0);
	activate = find(&f, ACTION_ACTIVATE_RESERVE, "pg7", 0);
	assert_non_null(mark);
	assert_non_null(activate);
	assert_non_null(strstr(activate->reason, "has 2 of the 3 active servers"));
	assert_int_equal(count(&f, ACTION_DETACH), 0);
	assert_int_equal(count(&f, ACTION_PROMOTE), 0);
	assert_int_equal(result(&f, "pg2")->state, SERVER_DOWN);
	assert_int_equal(result(&f, "pg7")->role, ROLE_REPLICA);
	fixture_free(&f);
}

static void
orchestrate_plan__replica_lost_without_reserve__takes_one_from_the_shard_with_most(void **state)
{
	const struct action *detach, *wipe, *clone, *activate;
	struct fixture f;

	(void)state;
	cluster(&f);
	server(&f, "pg10", "s3", ROLE_PRIMARY, SERVER_UP);
	server(&f, "pg11", "s3", ROLE_REPLICA, SERVER_UP);
	server(&f, "pg12", "s3", ROLE_REPLICA, SERVER_UP);
	server(&f, "pg13", "s3", ROLE_RESERVE, SERVER_UP);
	down(&f, "pg2", 3);
	down(&f, "pg7", 3);
	plan(&f);
	/* s2 has two reserves, s3 one: pg8 (s2's first) moves to s1. */
	detach = find(&f, ACTION_DETACH, "pg8", 0);
	wipe = find(&f, ACTION_WIPE, "pg8", 0);
	clone = find(&f, ACTION_CLONE, "pg8", 0);
	activate = find(&f, ACTION_ACTIVATE_RESERVE, "pg8", 0);
	assert_non_null(detach);
	assert_string_equal(f.topo.shards[detach->shard].id, "s2");
	assert_true(waits_for(&f, wipe, detach));
	assert_true(waits_for(&f, clone, wipe));
	assert_true(waits_for(&f, activate, clone));
	assert_string_equal(f.topo.servers[clone->primary].id, "pg1");
	assert_string_equal(f.topo.shards[clone->shard].id, "s1");
	assert_non_null(strstr(activate->reason, "once it streams from the primary and has caught up"));
	assert_int_equal(result(&f, "pg8")->shard, shard(&f, "s1"));
	assert_int_equal(result(&f, "pg8")->role, ROLE_REPLICA);
	assert_int_equal(count(&f, ACTION_DETACH), 1);
	fixture_free(&f);
}

static void
orchestrate_plan__no_reserve_anywhere__alerts(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f, MODE_PRIMARY_REPLICA, 2);
	server(&f, "pg1", "s1", ROLE_PRIMARY, SERVER_UP);
	server(&f, "pg2", "s1", ROLE_REPLICA, SERVER_UP);
	down(&f, "pg2", 3);
	plan(&f);
	assert_non_null(find(&f, ACTION_MARK_DOWN, "pg2", 0));
	assert_non_null(strstr(find(&f, ACTION_ALERT, NULL, 0)->reason,
	    "shard \"s1\" has 1 of the 2 active servers its replication factor requires and no reserve can be taken"));
	fixture_free(&f);
}

static void
orchestrate_plan__crashed_server_returns__wiped_into_the_shard_with_fewest_reserves(void **state)
{
	const struct action *wipe, *clone;
	struct fixture f;

	(void)state;
	cluster(&f);
	server(&f, "pg20", "s2", ROLE_REPLICA, SERVER_DOWN);
	plan(&f);
	wipe = find(&f, ACTION_WIPE, "pg20", 0);
	clone = find(&f, ACTION_CLONE, "pg20", 0);
	assert_non_null(wipe);
	assert_true(waits_for(&f, clone, wipe));
	/* s1 has one reserve, s2 two: the returning server never rejoins s2 with its history. */
	assert_string_equal(f.topo.shards[clone->shard].id, "s1");
	assert_string_equal(f.topo.servers[clone->primary].id, "pg1");
	assert_int_equal(result(&f, "pg20")->role, ROLE_RESERVE);
	assert_int_equal(result(&f, "pg20")->state, SERVER_UP);
	fixture_free(&f);
}

static void
orchestrate_plan__fenced_primary_returns__is_wiped_even_as_a_primary(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	server(&f, "pg0", NULL, ROLE_NONE, SERVER_FENCED);
	obs(&f, "pg0")->observed = HEALTH_ROLE_PRIMARY;
	plan(&f);
	assert_non_null(find(&f, ACTION_WIPE, "pg0", 0));
	assert_non_null(find(&f, ACTION_CLONE, "pg0", 0));
	assert_int_equal(count(&f, ACTION_ALERT), 0);
	fixture_free(&f);
}

static void
orchestrate_plan__wiped_server_returns__is_cloned_without_another_wipe(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	server(&f, "pg0", NULL, ROLE_NONE, SERVER_WIPED);
	plan(&f);
	assert_null(find(&f, ACTION_WIPE, "pg0", 0));
	assert_non_null(find(&f, ACTION_CLONE, "pg0", 0));
	fixture_free(&f);
}

static void
orchestrate_plan__reserve_pool_below_target__names_the_servers_to_add(void **state)
{
	const struct action *a;
	struct fixture f;

	(void)state;
	cluster(&f);
	f.reserve_target = 5;
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	a = find(&f, ACTION_ALERT, NULL, 0);
	assert_int_equal(a->servers_needed, 2);
	assert_string_equal(a->reason, "the reserve pool has 3 of its target 5 servers: add 2");
	/* The activated reserve leaves the pool: it counts after the plan. */
	fixture_free(&f);
	cluster(&f);
	f.reserve_target = 3;
	down(&f, "pg2", 3);
	plan(&f);
	assert_int_equal(find(&f, ACTION_ALERT, NULL, 0)->servers_needed, 1);
	fixture_free(&f);
}

static void
orchestrate_plan__two_primaries_in_a_shard__alert_only(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	obs(&f, "pg2")->observed = HEALTH_ROLE_PRIMARY;
	down(&f, "pg3", 3);
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	assert_int_equal(f.plan.actions[0].kind, ACTION_ALERT);
	assert_int_equal(f.plan.actions[0].severity, ALERT_CRITICAL);
	assert_string_equal(f.plan.actions[0].reason,
	    "more than one server of shard \"s1\" answers as a primary: no action on the shard until all but one are fenced");
	fixture_free(&f);
}

static void
orchestrate_plan__replica_answers_as_primary_beside_a_live_primary__alert_only(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 1);
	obs(&f, "pg2")->observed = HEALTH_ROLE_PRIMARY;
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	assert_string_equal(f.plan.actions[0].reason,
	    "server \"pg2\" of shard \"s1\" answers as a primary, but the topology's primary is \"pg1\": no action on the shard");
	fixture_free(&f);
}

static void
orchestrate_plan__primary_answers_as_replica__alert_only(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	obs(&f, "pg4")->observed = HEALTH_ROLE_REPLICA;
	down(&f, "pg5", 3);
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	assert_string_equal(f.plan.actions[0].reason,
	    "primary \"pg4\" of shard \"s2\" answers as a replica (in recovery, read-only): no action on the shard");
	fixture_free(&f);
}

static void
orchestrate_plan__primary_answers_read_only__critical_alert_only(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	obs(&f, "pg4")->read_only = 1;
	down(&f, "pg5", 3);
	plan(&f);
	/* Neither a failover nor pg5's replacement: the shard waits for a human. */
	assert_int_equal(f.plan.count, 1);
	assert_int_equal(f.plan.actions[0].kind, ACTION_ALERT);
	assert_int_equal(f.plan.actions[0].severity, ALERT_CRITICAL);
	assert_string_equal(f.topo.shards[f.plan.actions[0].shard].id, "s2");
	assert_string_equal(f.plan.actions[0].reason,
	    "primary \"pg4\" of shard \"s2\" answers but is read-only (default_transaction_read_only is on): it takes no writes; no action on the shard until it is turned off or a switchover is planned");
	fixture_free(&f);
}

static void
orchestrate_plan__replica_read_only_or_primary_unknown__plans_nothing(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	f.reserve_target = 3;
	/* A replica's setting changes nothing; unknown (older documents) is not "on". */
	obs(&f, "pg2")->read_only = 1;
	obs(&f, "pg1")->read_only = -1;
	obs(&f, "pg4")->read_only = -1;
	plan(&f);
	assert_int_equal(f.plan.count, 0);
	fixture_free(&f);
}

static void
orchestrate_plan__read_only_primary_unreachable__fails_over(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	obs(&f, "pg1")->read_only = 1;
	down(&f, "pg1", 3);
	plan(&f);
	/* A lost primary's last setting does not matter: failover as usual. */
	assert_non_null(find(&f, ACTION_PROMOTE, NULL, 0));
	fixture_free(&f);
}

static void
orchestrate_plan__health_of_an_older_topology__alerts_only_and_conflicts(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	f.health.topology_version = 4;
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	assert_true(f.plan.mismatch);
	assert_string_equal(f.plan.actions[0].reason,
	    "the health document probed topology version 4, the topology is version 5: no action until a sweep of this version");
	assert_int_equal(orchestrate_exit_status(&f.plan), EXIT_STATUS_CONFLICT);
	fixture_free(&f);
}

static void
orchestrate_plan__health_names_an_unknown_server__alerts_only(void **state)
{
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 3);
	f.health.servers[f.health.count].id = xstrdup("pg99");
	f.health.count++;
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	assert_true(f.plan.mismatch);
	assert_non_null(strstr(f.plan.actions[0].reason, "\"pg99\", which the topology does not have"));
	fixture_free(&f);
}

static void
orchestrate_plan__no_replication_shard_lost__marked_down_with_data_loss(void **state)
{
	const struct action *a;
	struct fixture f;

	(void)state;
	fixture_init(&f, MODE_NO_REPLICATION, 1);
	server(&f, "pg1", "s1", ROLE_PRIMARY, SERVER_UP);
	server(&f, "pg2", "s2", ROLE_PRIMARY, SERVER_UP);
	down(&f, "pg1", 3);
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	a = find(&f, ACTION_MARK_DOWN, "pg1", 0);
	assert_true(a->shard_down);
	assert_true(a->data_loss);
	assert_non_null(strstr(a->reason, "its keys route to the next shard clockwise"));
	assert_int_equal(f.plan.result.shards[0].state, SHARD_DOWN);
	assert_int_equal(result(&f, "pg1")->state, SERVER_DOWN);
	assert_int_equal(count(&f, ACTION_PROMOTE), 0);
	fixture_free(&f);
}

static void
orchestrate_plan__no_replication_server_returns__shard_active_again_with_its_data(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f, MODE_NO_REPLICATION, 1);
	server(&f, "pg1", "s1", ROLE_PRIMARY, SERVER_DOWN);
	server(&f, "pg2", "s2", ROLE_PRIMARY, SERVER_UP);
	f.topo.shards[0].state = SHARD_DOWN;
	plan(&f);
	assert_non_null(find(&f, ACTION_MARK_ACTIVE, "pg1", 0));
	assert_null(find(&f, ACTION_WIPE, "pg1", 0));
	assert_non_null(strstr(find(&f, ACTION_ALERT, "pg1", 0)->reason, "not visible until moved back"));
	assert_int_equal(f.plan.result.shards[0].state, SHARD_ACTIVE);
	assert_int_equal(result(&f, "pg1")->state, SERVER_UP);
	fixture_free(&f);
}

static void
orchestrate_plan__multi_master_server_lost__alert_only(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f, MODE_MULTI_MASTER, 2);
	server(&f, "m1", NULL, ROLE_NONE, SERVER_UP);
	server(&f, "m2", NULL, ROLE_NONE, SERVER_UP);
	down(&f, "m1", 3);
	plan(&f);
	assert_int_equal(f.plan.count, 1);
	assert_int_equal(f.plan.actions[0].kind, ACTION_ALERT);
	fixture_free(&f);
}

/* ---- counting failed probes across runs (--state) ---------------------- */

static void
failure_state_count__consecutive_sweeps__accumulate_then_reset(void **state)
{
	struct failure_state prev = { 0 }, next;
	int64_t counts[FIXTURE_MAX];
	struct fixture f;
	int sweep;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 0);
	/* Three sweeps, each a new probed_at: 1, 2, 3, and the threshold is met. */
	for (sweep = 1; sweep <= 3; sweep++) {
		free(f.health.probed_at);
		f.health.probed_at = xstrdup(sweep == 1 ? "T1" : sweep == 2 ? "T2" : "T3");
		failure_state_count(&prev, &f.topo, &f.health, counts, &next);
		assert_int_equal(counts[0], sweep);
		assert_int_equal(counts[1], 0);
		assert_int_equal(next.count, 1);
		failure_state_free(&prev);
		prev = next;
	}
	memcpy(f.failures, counts, sizeof(counts));
	plan(&f);
	assert_int_equal(count(&f, ACTION_PROMOTE), 1);
	/* A sweep that reaches it again resets the count. */
	obs(&f, "pg1")->reachable = 1;
	free(f.health.probed_at);
	f.health.probed_at = xstrdup("T4");
	failure_state_count(&prev, &f.topo, &f.health, counts, &next);
	assert_int_equal(counts[0], 0);
	assert_int_equal(next.count, 0);
	failure_state_free(&prev);
	failure_state_free(&next);
	fixture_free(&f);
}

static void
failure_state_count__same_sweep_read_twice__counts_once(void **state)
{
	struct failure_state prev = { 0 }, next, again;
	int64_t counts[FIXTURE_MAX];
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg2", 0);
	failure_state_count(&prev, &f.topo, &f.health, counts, &next);
	assert_int_equal(counts[1], 1);
	failure_state_count(&next, &f.topo, &f.health, counts, &again);
	assert_int_equal(counts[1], 1);
	assert_string_equal(again.probed_at, "2026-11-25T21:04:05Z");
	failure_state_free(&next);
	failure_state_free(&again);
	fixture_free(&f);
}

static void
failure_state_count__without_state__each_run_counts_one(void **state)
{
	struct failure_state next;
	int64_t counts[FIXTURE_MAX];
	struct fixture f;

	(void)state;
	cluster(&f);
	down(&f, "pg1", 0);
	failure_state_count(NULL, &f.topo, &f.health, counts, &next);
	failure_state_free(&next);
	failure_state_count(NULL, &f.topo, &f.health, counts, &next);
	assert_int_equal(counts[0], 1);
	memcpy(f.failures, counts, sizeof(counts));
	plan(&f);
	/* The default threshold of 3 is never met by one run alone. */
	assert_int_equal(f.plan.count, 0);
	failure_state_free(&next);
	fixture_free(&f);
}

static void
failure_state_from_json__round_trip_and_bad_documents(void **state)
{
	struct failure_state st = { 0 }, back;
	struct problems problems = { 0 };
	json_t *doc;

	(void)state;
	st.probed_at = xstrdup("T1");
	st.ids = xcalloc(1, sizeof(char *));
	st.failures = xcalloc(1, sizeof(int64_t));
	st.ids[0] = xstrdup("pg1");
	st.failures[0] = 2;
	st.count = 1;
	doc = failure_state_to_json(&st);
	assert_int_equal(failure_state_from_json(doc, &back, &problems), 0);
	assert_int_equal(back.count, 1);
	assert_string_equal(back.ids[0], "pg1");
	assert_int_equal(back.failures[0], 2);
	assert_string_equal(back.probed_at, "T1");
	failure_state_free(&back);
	json_object_set_new(json_object_get(doc, "failures"), "pg2", json_integer(-1));
	assert_int_equal(failure_state_from_json(doc, &back, &problems), -1);
	assert_int_equal(problems.count, 1);
	assert_string_equal(problems.items[0].path, "failures.pg2");
	json_decref(doc);
	problems_free(&problems);
	failure_state_free(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(orchestrate_plan__healthy_cluster__plans_nothing),
		cmocka_unit_test(orchestrate_plan__primary_lost__fences_promotes_the_most_advanced_and_repoints),
		cmocka_unit_test(orchestrate_plan__equal_received_lsn__higher_replayed_wins),
		cmocka_unit_test(orchestrate_plan__identical_positions__first_in_topology_wins),
		cmocka_unit_test(orchestrate_plan__no_received_lsn__replayed_lsn_stands_in),
		cmocka_unit_test(orchestrate_plan__reserve_most_advanced__is_never_promoted_and_is_recloned),
		cmocka_unit_test(orchestrate_plan__primary_below_threshold__waits),
		cmocka_unit_test(orchestrate_plan__no_reachable_replica__alerts_without_promotion),
		cmocka_unit_test(orchestrate_plan__interrupted_promotion__is_completed_on_the_same_server),
		cmocka_unit_test(orchestrate_plan__replica_lost_with_reserve__activates_it_at_once),
		cmocka_unit_test(orchestrate_plan__replica_lost_without_reserve__takes_one_from_the_shard_with_most),
		cmocka_unit_test(orchestrate_plan__no_reserve_anywhere__alerts),
		cmocka_unit_test(orchestrate_plan__crashed_server_returns__wiped_into_the_shard_with_fewest_reserves),
		cmocka_unit_test(orchestrate_plan__fenced_primary_returns__is_wiped_even_as_a_primary),
		cmocka_unit_test(orchestrate_plan__wiped_server_returns__is_cloned_without_another_wipe),
		cmocka_unit_test(orchestrate_plan__reserve_pool_below_target__names_the_servers_to_add),
		cmocka_unit_test(orchestrate_plan__two_primaries_in_a_shard__alert_only),
		cmocka_unit_test(orchestrate_plan__replica_answers_as_primary_beside_a_live_primary__alert_only),
		cmocka_unit_test(orchestrate_plan__primary_answers_as_replica__alert_only),
		cmocka_unit_test(orchestrate_plan__primary_answers_read_only__critical_alert_only),
		cmocka_unit_test(orchestrate_plan__replica_read_only_or_primary_unknown__plans_nothing),
		cmocka_unit_test(orchestrate_plan__read_only_primary_unreachable__fails_over),
		cmocka_unit_test(orchestrate_plan__health_of_an_older_topology__alerts_only_and_conflicts),
		cmocka_unit_test(orchestrate_plan__health_names_an_unknown_server__alerts_only),
		cmocka_unit_test(orchestrate_plan__no_replication_shard_lost__marked_down_with_data_loss),
		cmocka_unit_test(orchestrate_plan__no_replication_server_returns__shard_active_again_with_its_data),
		cmocka_unit_test(orchestrate_plan__multi_master_server_lost__alert_only),
		cmocka_unit_test(failure_state_count__consecutive_sweeps__accumulate_then_reset),
		cmocka_unit_test(failure_state_count__same_sweep_read_twice__counts_once),
		cmocka_unit_test(failure_state_count__without_state__each_run_counts_one),
		cmocka_unit_test(failure_state_from_json__round_trip_and_bad_documents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
