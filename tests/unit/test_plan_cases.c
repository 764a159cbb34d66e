/* test_plan_cases.c -- the shard planner on the seed's cases and the edges */

#include "plan_check.h"

static struct plan_options
reserve_option(uint64_t n)
{
	struct plan_options o = { .action = PLAN_ADD, .reserve_source = PLAN_RESERVE_GIVEN,
	    .reserve = n, .confidence = PLAN_DEFAULT_CONFIDENCE };

	return o;
}

static void
build_ok(const struct topology *t, const struct plan_options *o, struct plan *p)
{
	char why[256] = "";

	if (plan_build(t, o, p, why, sizeof(why)) != 0)
		fail_msg("plan_build: %s", why);
	check_plan(t, o, p);
}

static size_t
reserves_of(const struct topology *t, const char *shard)
{
	size_t i, n = 0;

	for (i = 0; i < t->server_count; i++)
		n += t->servers[i].role == ROLE_RESERVE && t->servers[i].shard >= 0 &&
		    strcmp(t->shards[t->servers[i].shard].id, shard) == 0;
	return n;
}

static void
plan_build__seed_example_rf4_eight_servers__forms_two_shards(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 4, 64);
	full_shard(&t, "s1", 4);
	new_servers(&t, 8, 4);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	assert_string_equal(p.result.shards[p.new_shards[0].shard].id, "s2");
	assert_string_equal(p.result.shards[p.new_shards[1].shard].id, "s3");
	assert_int_equal(p.reserve_assignment_count, 0);
	/* Both new shards take from s1, about a third each. */
	assert_int_equal(p.moved_from_count, 1);
	assert_string_equal(p.moved_from[0].owner, "s1");
	assert_int_equal(p.moved_to_count, 2);
	assert_true(fabs(p.moved_fraction - 2.0 / 3.0) < 0.02);
	assert_true(p.result.version == t.version + 1);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__remainder__becomes_reserves_spread_over_shards(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 4, 16);
	new_servers(&t, 10, 4);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	assert_int_equal(p.reserve_assignment_count, 2);
	assert_int_equal(p.reserve_count, 2);
	assert_int_equal(reserves_of(&p.result, "s1"), 1);
	assert_int_equal(reserves_of(&p.result, "s2"), 1);
	assert_int_equal(p.move_count, 0);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__reserve_target__is_kept_before_shards_are_formed(void **state)
{
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	new_servers(&t, 7, 3);
	build_ok(&t, &o, &p);
	/* 7 - 2 kept = 5: one shard of 3, the 2 left over are reserves too. */
	assert_int_equal(p.new_shard_count, 1);
	assert_int_equal(p.reserve_count, 4);
	assert_int_equal(p.note_count, 0);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__existing_reserves__count_toward_the_target(void **state)
{
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 16);
	full_shard(&t, "s1", 2);
	server(&t, "r1", "z0", SERVER_UP, ROLE_RESERVE, 0);
	server(&t, "r2", "z1", SERVER_DOWN, ROLE_RESERVE, 0);
	new_servers(&t, 3, 2);
	build_ok(&t, &o, &p);
	/* r1 counts, r2 (down) does not: one more reserve, one new shard. */
	assert_int_equal(p.new_shard_count, 1);
	assert_int_equal(p.reserve_count, 2);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__too_few_servers__forms_no_shard_and_says_so(void **state)
{
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	new_servers(&t, 4, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 0);
	assert_int_equal(p.reserve_count, 4);
	assert_int_equal(p.note_count, 1);
	assert_non_null(strstr(p.notes[0], "not enough new servers to form a shard"));
	/* With no shard at all, reserves wait with no shard. */
	for (i = 0; i < p.reserve_assignment_count; i++)
		assert_int_equal(p.reserves[i].shard, -1);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__fewer_servers_than_the_target__all_become_reserves_with_a_note(void **state)
{
	struct plan_options o = reserve_option(5);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 16);
	full_shard(&t, "s1", 2);
	new_servers(&t, 3, 2);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 0);
	assert_int_equal(p.reserve_count, 3);
	assert_int_equal(reserves_of(&p.result, "s1"), 3);
	assert_non_null(strstr(p.notes[p.note_count - 1], "reserve target 5 not reached: 3 reserves"));
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__zones__give_every_shard_distinct_zones_where_possible(void **state)
{
	static const char *const zones[] = { "a", "a", "b", "b", "c", "c" };
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	size_t i, s;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	for (i = 0; i < 6; i++) {
		char id[16];

		snprintf(id, sizeof(id), "x%zu", i);
		server(&t, id, zones[i], SERVER_UP, ROLE_NONE, -1);
	}
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	for (s = 0; s < 2; s++) {
		const struct plan_shard *ns = &p.new_shards[s];
		const char *z0 = p.result.servers[ns->primary].zone;
		const char *z1 = p.result.servers[ns->replicas[0]].zone;
		const char *z2 = p.result.servers[ns->replicas[1]].zone;

		assert_true(strcmp(z0, z1) != 0 && strcmp(z0, z2) != 0 && strcmp(z1, z2) != 0);
	}
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__reserves__are_taken_from_the_largest_zone(void **state)
{
	static const char *const zones[] = { "a", "a", "a", "b", "c" };
	struct plan_options o = reserve_option(2);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	for (i = 0; i < 5; i++) {
		char id[16];

		snprintf(id, sizeof(id), "x%zu", i);
		server(&t, id, zones[i], SERVER_UP, ROLE_NONE, -1);
	}
	build_ok(&t, &o, &p);
	/* Keeping two of "a" back leaves a, b, c for the shard. */
	assert_int_equal(p.new_shard_count, 1);
	assert_string_equal(p.result.servers[p.reserves[0].server].zone, "a");
	assert_string_equal(p.result.servers[p.reserves[1].server].zone, "a");
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__primaries__spread_over_zones(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	new_servers(&t, 9, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 3);
	assert_string_equal(p.result.servers[p.new_shards[0].primary].zone, "z0");
	assert_string_equal(p.result.servers[p.new_shards[1].primary].zone, "z1");
	assert_string_equal(p.result.servers[p.new_shards[2].primary].zone, "z2");
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__reserves__attach_to_the_shards_with_fewest(void **state)
{
	struct plan_options o = reserve_option(6);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 16);
	full_shard(&t, "s1", 1);
	full_shard(&t, "s2", 1);
	full_shard(&t, "s3", 1);
	server(&t, "r1", "z0", SERVER_UP, ROLE_RESERVE, 0);
	server(&t, "r2", "z0", SERVER_UP, ROLE_RESERVE, 0);
	server(&t, "r3", "z0", SERVER_UP, ROLE_RESERVE, 2);
	new_servers(&t, 3, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 0);
	assert_int_equal(reserves_of(&p.result, "s1"), 2);
	assert_int_equal(reserves_of(&p.result, "s2"), 2);
	assert_int_equal(reserves_of(&p.result, "s3"), 2);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__shard_ids__continue_after_the_highest_number(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	char why[256];

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 8);
	full_shard(&t, "s1", 1);
	full_shard(&t, "s3", 1);
	full_shard(&t, "east-7x", 1);
	new_servers(&t, 2, 2);
	build_ok(&t, &o, &p);
	assert_string_equal(p.result.shards[p.new_shards[0].shard].id, "s4");
	assert_string_equal(p.result.shards[p.new_shards[1].shard].id, "s5");
	plan_free(&p);
	o.shard_prefix = "east-";
	build_ok(&t, &o, &p);
	assert_string_equal(p.result.shards[p.new_shards[0].shard].id, "east-1");
	plan_free(&p);
	o.shard_prefix = "-bad";
	assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), EXIT_STATUS_USAGE);
	assert_non_null(strstr(why, "invalid --shard-prefix \"-bad\""));
	topology_free(&t);
}

static void
plan_build__remove_shard__hands_ranges_to_successors_and_servers_to_reserves(void **state)
{
	struct plan_options o = { .action = PLAN_REMOVE_SHARD, .remove_shard = "s2" };
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 32);
	full_shard(&t, "s1", 3);
	full_shard(&t, "s2", 3);
	full_shard(&t, "s3", 3);
	build_ok(&t, &o, &p);
	assert_string_equal(p.removed_shard, "s2");
	assert_int_equal(p.removed_server_count, 3);
	assert_int_equal(p.moved_from_count, 1);
	assert_int_equal(p.moved_to_count, 2);
	/* Three reserves over two shards: two and one. */
	assert_int_equal(reserves_of(&p.result, "s1") + reserves_of(&p.result, "s3"), 3);
	assert_true(reserves_of(&p.result, "s1") >= 1 && reserves_of(&p.result, "s3") >= 1);
	assert_true(fabs(p.moved_fraction - 1.0 / 3.0) < 0.02);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__remove_unknown_or_last_shard__is_bad_input(void **state)
{
	struct plan_options o = { .action = PLAN_REMOVE_SHARD, .remove_shard = "s9" };
	struct topology t;
	struct plan p;
	char why[256];

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 8);
	full_shard(&t, "s1", 1);
	assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), EXIT_STATUS_INPUT);
	assert_string_equal(why, "cannot remove shard \"s9\": no such shard");
	o.remove_shard = "s1";
	assert_int_equal(plan_build(&t, &o, &p, why, sizeof(why)), EXIT_STATUS_INPUT);
	assert_string_equal(why,
	    "cannot remove shard \"s1\": it is the last shard and would leave the ring empty");
	topology_free(&t);
}

static void
plan_build__crash_prob__reserves_for_every_server_of_the_result(void **state)
{
	struct plan_options o = { .action = PLAN_ADD, .reserve_source = PLAN_RESERVE_COMPUTED,
	    .crash_prob = 0.05, .confidence = 0.99 };
	struct reserve_request req = { .crash_prob = 0.05, .confidence = 0.99 };
	struct reserve_result res;
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 3, 16);
	full_shard(&t, "s1", 3);
	new_servers(&t, 40, 3);
	/* Out of service: a down server is not one the reserve covers. */
	server(&t, "gone", "z0", SERVER_DOWN, ROLE_NONE, -1);
	req.servers = 43;
	assert_int_equal(reserve_compute(&req, &res), 0);
	assert_true(res.reserve > 0);
	build_ok(&t, &o, &p);
	assert_true(p.reserve_target == res.reserve);
	assert_true(p.reserve_request.servers == 43);
	assert_true(p.reserve_count >= res.reserve && p.reserve_count < res.reserve + 3);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__one_new_shard__takes_its_share_from_every_shard(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 256);
	for (i = 0; i < 4; i++) {
		char id[8];

		snprintf(id, sizeof(id), "s%zu", i + 1);
		full_shard(&t, id, 2);
	}
	new_servers(&t, 2, 2);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 1);
	assert_int_equal(p.moved_from_count, 4);
	assert_true(fabs(p.moved_fraction - 0.2) < 0.01);
	for (i = 0; i < 4; i++)
		assert_true(fabs(p.moved_from[i].fraction - 0.05) < 0.01);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__no_replication__makes_a_shard_per_server_and_spare_reserves(void **state)
{
	struct plan_options o = reserve_option(1);
	struct topology t;
	struct plan p;

	(void)state;
	topo_start(&t, MODE_NO_REPLICATION, 1, 16);
	full_shard(&t, "s1", 1);
	new_servers(&t, 3, 3);
	build_ok(&t, &o, &p);
	assert_int_equal(p.new_shard_count, 2);
	assert_int_equal(p.reserve_assignment_count, 1);
	assert_int_equal(p.reserves[0].shard, -1);
	assert_int_equal(p.new_shards[0].replica_count, 0);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__multi_master__puts_new_servers_on_the_ring(void **state)
{
	struct plan_options o = reserve_option(1);
	struct topology t;
	struct plan p;
	size_t i;

	(void)state;
	topo_start(&t, MODE_MULTI_MASTER, 3, 16);
	server(&t, "A", "z0", SERVER_UP, ROLE_NONE, -1);
	server(&t, "B", "z1", SERVER_UP, ROLE_NONE, -1);
	server(&t, "C", "z2", SERVER_UP, ROLE_NONE, -1);
	ring_place(&t, t.vnodes);
	new_servers(&t, 3, 3);
	build_ok(&t, &o, &p);
	/* One kept off the ring as the reserve, two join. */
	assert_int_equal(p.new_member_count, 2);
	assert_int_equal(p.reserve_count, 1);
	assert_int_equal(p.moved_to_count, 2);
	for (i = 0; i < p.move_count; i++)
		assert_true(strcmp(p.moves[i].from, "A") == 0 || strcmp(p.moves[i].from, "B") == 0 ||
		    strcmp(p.moves[i].from, "C") == 0);
	assert_true(fabs(p.moved_fraction - 0.4) < 0.03);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_build__nothing_new__changes_nothing_and_keeps_the_version(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	json_t *a, *b;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 2, 16);
	full_shard(&t, "s1", 2);
	server(&t, "down1", "z0", SERVER_DOWN, ROLE_NONE, -1);
	build_ok(&t, &o, &p);
	assert_true(p.result.version == t.version);
	assert_int_equal(p.move_count, 0);
	assert_int_equal(p.unassigned_count, 1);
	a = topology_to_json(&t);
	b = topology_to_json(&p.result);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	plan_free(&p);
	topology_free(&t);
}

static void
plan_to_json__moves__are_sixteen_hex_digit_ranges(void **state)
{
	struct plan_options o = reserve_option(0);
	struct topology t;
	struct plan p;
	json_t *doc, *range;
	const char *start;

	(void)state;
	topo_start(&t, MODE_PRIMARY_REPLICA, 1, 4);
	full_shard(&t, "s1", 1);
	new_servers(&t, 1, 1);
	build_ok(&t, &o, &p);
	doc = plan_to_json(&p);
	assert_string_equal(json_string_value(json_object_get(doc, "action")), "add");
	assert_int_equal(json_integer_value(json_object_get(doc, "base_version")), 5);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 6);
	range = json_array_get(json_object_get(json_array_get(json_object_get(doc, "moves"), 0),
	    "ranges"), 0);
	start = json_string_value(json_object_get(range, "start"));
	assert_non_null(start);
	assert_int_equal(strlen(start), 16);
	assert_int_equal(strspn(start, "0123456789abcdef"), 16);
	assert_true(json_is_null(json_object_get(doc, "removed_shard")));
	assert_true(json_is_null(json_object_get(doc, "reserve_model")));
	json_decref(doc);
	plan_free(&p);
	topology_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_build__seed_example_rf4_eight_servers__forms_two_shards),
		cmocka_unit_test(plan_build__remainder__becomes_reserves_spread_over_shards),
		cmocka_unit_test(plan_build__reserve_target__is_kept_before_shards_are_formed),
		cmocka_unit_test(plan_build__existing_reserves__count_toward_the_target),
		cmocka_unit_test(plan_build__too_few_servers__forms_no_shard_and_says_so),
		cmocka_unit_test(plan_build__fewer_servers_than_the_target__all_become_reserves_with_a_note),
		cmocka_unit_test(plan_build__zones__give_every_shard_distinct_zones_where_possible),
		cmocka_unit_test(plan_build__reserves__are_taken_from_the_largest_zone),
		cmocka_unit_test(plan_build__primaries__spread_over_zones),
		cmocka_unit_test(plan_build__reserves__attach_to_the_shards_with_fewest),
		cmocka_unit_test(plan_build__shard_ids__continue_after_the_highest_number),
		cmocka_unit_test(plan_build__remove_shard__hands_ranges_to_successors_and_servers_to_reserves),
		cmocka_unit_test(plan_build__remove_unknown_or_last_shard__is_bad_input),
		cmocka_unit_test(plan_build__crash_prob__reserves_for_every_server_of_the_result),
		cmocka_unit_test(plan_build__one_new_shard__takes_its_share_from_every_shard),
		cmocka_unit_test(plan_build__no_replication__makes_a_shard_per_server_and_spare_reserves),
		cmocka_unit_test(plan_build__multi_master__puts_new_servers_on_the_ring),
		cmocka_unit_test(plan_build__nothing_new__changes_nothing_and_keeps_the_version),
		cmocka_unit_test(plan_to_json__moves__are_sixteen_hex_digit_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
