/* test_health.c -- judging probe results: roles, lag, summary, renderings
 *
 * Probe results are built by hand here (the probing itself talks to real
 * servers in tests/integration/health-probe.bats); what is tested is the
 * pure judgement over them and the shape of what is rendered.
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
#include "probe.h"
#include "topology.h"

#define LSN(hi, lo) (((uint64_t)(hi) << 32) | (uint64_t)(lo))

/* Shard s1: pg1 primary, pg2 replica, pg3 reserve; pg4 in no shard. */
static void
make_topology(struct topology *topo)
{
	int s1;

	memset(topo, 0, sizeof(*topo));
	topo->version = 9;
	s1 = topology_add_shard(topo, "s1", SHARD_ACTIVE);
	topology_add_server(topo, "pg1", "host=127.0.0.1 port=5501", "a");
	topology_add_server(topo, "pg2", "host=127.0.0.1 port=5502", "b");
	topology_add_server(topo, "pg3", "host=127.0.0.1 port=5503", "");
	topology_add_server(topo, "pg4", "host=127.0.0.1 port=5504", "");
	topo->servers[0].role = ROLE_PRIMARY;
	topo->servers[1].role = ROLE_REPLICA;
	topo->servers[2].role = ROLE_RESERVE;
	topo->servers[0].shard = topo->servers[1].shard = topo->servers[2].shard = s1;
}

static void
up_primary(struct probe_result *r, uint64_t lsn)
{
	memset(r, 0, sizeof(*r));
	r->reachable = 1;
	r->in_recovery = 0;
	r->current_lsn = lsn;
	r->timeline = 1;
	r->connections = 3;
	r->max_connections = 100;
	r->database_size = 7000000;
	r->latency = 0.0015;
}

static void
up_replica(struct probe_result *r, uint64_t received, uint64_t replayed)
{
	up_primary(r, 0);
	r->in_recovery = 1;
	r->received_lsn = received;
	r->replayed_lsn = replayed;
}

static void
down(struct probe_result *r, const char *why)
{
	memset(r, 0, sizeof(*r));
	r->in_recovery = -1;
	r->connections = r->max_connections = r->database_size = -1;
	snprintf(r->error, sizeof(r->error), "%s", why);
	r->latency = 1.0;
}

static void
health_assess__healthy_shard__matches_and_measures_lag(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;

	(void)state;
	make_topology(&topo);
	up_primary(&results[0], LSN(1, 0x1000));
	up_replica(&results[1], LSN(1, 0x1000), LSN(1, 0x0800));
	up_replica(&results[2], LSN(0, 0xff000000), LSN(0, 0xfff00000));
	up_primary(&results[3], LSN(0, 0x100));
	health_assess(&topo, results, 2.0, 0, &report);
	assert_int_equal(report.entries[0].matches, 1);
	assert_int_equal(report.entries[1].matches, 1);
	assert_int_equal(report.entries[2].matches, 1);
	assert_int_equal(report.entries[3].matches, -1);
	assert_int_equal(report.entries[0].lag_bytes, 0);
	assert_int_equal(report.entries[1].lag_bytes, 0x800);
	/* The difference crosses the 32-bit boundary of the text form. */
	assert_int_equal(report.entries[2].lag_bytes, 0x100000000 + 0x1000 - 0xfff00000);
	assert_int_equal(report.entries[3].lag_bytes, -1);
	assert_int_equal(report.summary.down, 0);
	assert_int_equal(report.summary.mismatched, 0);
	assert_int_equal(health_exit_status(&report.summary), EXIT_STATUS_OK);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_assess__replica_ahead_of_primary_sample__lags_zero(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;

	(void)state;
	make_topology(&topo);
	up_primary(&results[0], LSN(0, 0x500));
	up_replica(&results[1], LSN(0, 0x600), LSN(0, 0x600));
	up_replica(&results[2], LSN(0, 0x500), LSN(0, 0x500));
	up_primary(&results[3], LSN(0, 0x100));
	health_assess(&topo, results, 2.0, 0, &report);
	assert_int_equal(report.entries[1].lag_bytes, 0);
	assert_int_equal(report.entries[2].lag_bytes, 0);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_assess__primary_down__is_down_and_lag_unknown(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;

	(void)state;
	make_topology(&topo);
	down(&results[0], "connection refused");
	up_replica(&results[1], LSN(0, 0x600), LSN(0, 0x600));
	up_replica(&results[2], LSN(0, 0x500), LSN(0, 0x500));
	up_primary(&results[3], LSN(0, 0x100));
	health_assess(&topo, results, 2.0, 0, &report);
	assert_int_equal(report.entries[0].observed, HEALTH_ROLE_UNKNOWN);
	assert_int_equal(report.entries[0].matches, -1);
	assert_int_equal(report.entries[1].lag_bytes, -1);
	assert_int_equal(report.summary.down, 1);
	assert_int_equal(report.summary.reachable, 3);
	assert_int_equal(health_exit_status(&report.summary), EXIT_STATUS_DOWN);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_assess__promoted_replica__mismatches_and_lag_unknown(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;

	(void)state;
	make_topology(&topo);
	up_replica(&results[0], LSN(0, 0x600), LSN(0, 0x600));
	up_primary(&results[1], LSN(0, 0x700));
	up_replica(&results[2], LSN(0, 0x500), LSN(0, 0x500));
	up_primary(&results[3], LSN(0, 0x100));
	health_assess(&topo, results, 2.0, 0, &report);
	assert_int_equal(report.entries[0].matches, 0);
	assert_int_equal(report.entries[1].matches, 0);
	assert_int_equal(report.entries[2].matches, 1);
	/* The topology's primary is in recovery: its LSN is no head to measure from. */
	assert_int_equal(report.entries[0].lag_bytes, -1);
	assert_int_equal(report.entries[2].lag_bytes, -1);
	assert_int_equal(report.summary.mismatched, 2);
	assert_int_equal(health_exit_status(&report.summary), EXIT_STATUS_MISMATCH);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_exit_status__down_and_mismatch__down_wins(void **state)
{
	struct health_summary s = { .servers = 3, .reachable = 2, .down = 1, .mismatched = 1 };

	(void)state;
	assert_int_equal(health_exit_status(&s), EXIT_STATUS_DOWN);
	s.down = 0;
	assert_int_equal(health_exit_status(&s), EXIT_STATUS_MISMATCH);
	s.mismatched = 0;
	assert_int_equal(health_exit_status(&s), EXIT_STATUS_OK);
	s.read_only_primaries = 1;
	assert_int_equal(health_exit_status(&s), EXIT_STATUS_MISMATCH);
	s.down = 1;
	assert_int_equal(health_exit_status(&s), EXIT_STATUS_DOWN);
}

static void
health_assess__read_only_primary__degraded_and_exit_7(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;
	json_t *doc, *summary;
	char *text;

	(void)state;
	make_topology(&topo);
	up_primary(&results[0], LSN(0, 0x600));
	results[0].read_only = 1;
	up_replica(&results[1], LSN(0, 0x600), LSN(0, 0x600));
	results[1].read_only = 1;   /* a replica's setting is no news */
	up_replica(&results[2], LSN(0, 0x500), LSN(0, 0x500));
	up_primary(&results[3], LSN(0, 0x100));
	results[3].read_only = 1;   /* no role (a fenced old primary): read-only by design */
	health_assess(&topo, results, 2.0, 0, &report);
	assert_int_equal(report.summary.mismatched, 0);
	assert_int_equal(report.summary.read_only_primaries, 1);
	assert_int_equal(health_exit_status(&report.summary), EXIT_STATUS_MISMATCH);
	doc = health_to_json(&report);
	summary = json_object_get(doc, "summary");
	assert_string_equal(json_string_value(json_object_get(summary, "status")), "degraded");
	assert_int_equal(json_integer_value(json_object_get(summary, "read_only_primaries")), 1);
	assert_int_equal(json_integer_value(json_object_get(summary, "exit_status")), 7);
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(doc, "servers"), 0), "read_only")));
	assert_true(json_is_false(json_object_get(json_array_get(json_object_get(doc, "servers"), 2), "read_only")));
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(doc, "servers"), 3), "read_only")));
	text = health_render_prometheus(&report);
	assert_non_null(strstr(text, "# TYPE shardkit_server_read_only gauge\n"));
	assert_non_null(strstr(text, "shardkit_server_read_only{server=\"pg1\",shard=\"s1\"} 1\n"));
	assert_non_null(strstr(text, "shardkit_server_read_only{server=\"pg3\",shard=\"s1\"} 0\n"));
	assert_non_null(strstr(text, "shardkit_server_read_only{server=\"pg4\",shard=\"\"} 1\n"));
	free(text);
	json_decref(doc);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_to_json__down_server__has_every_key_with_nulls(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;
	json_t *doc, *s;

	(void)state;
	make_topology(&topo);
	down(&results[0], "timeout expired after 2 s while connecting");
	up_replica(&results[1], LSN(0, 0x600), LSN(0, 0x600));
	up_replica(&results[2], LSN(0, 0x500), LSN(0, 0x500));
	up_primary(&results[3], LSN(0x16, 0xB374D848));
	health_assess(&topo, results, 2.0, 1000000000, &report);
	doc = health_to_json(&report);
	assert_string_equal(json_string_value(json_object_get(doc, "format")), "shardkit-health/1");
	assert_string_equal(json_string_value(json_object_get(doc, "probed_at")), "2001-09-09T01:46:40Z");
	assert_int_equal(json_integer_value(json_object_get(doc, "topology_version")), 9);
	s = json_array_get(json_object_get(doc, "servers"), 0);
	assert_int_equal(json_object_size(s), 20);
	assert_true(json_is_null(json_object_get(s, "read_only")));
	assert_true(json_is_false(json_object_get(s, "reachable")));
	assert_string_equal(json_string_value(json_object_get(s, "error")),
	    "timeout expired after 2 s while connecting");
	assert_true(json_is_null(json_object_get(s, "observed_role")));
	assert_true(json_is_null(json_object_get(s, "matches_topology")));
	assert_true(json_is_null(json_object_get(s, "timeline")));
	assert_true(json_is_null(json_object_get(s, "database_size_bytes")));
	s = json_array_get(json_object_get(doc, "servers"), 3);
	assert_true(json_is_null(json_object_get(s, "role")));
	assert_true(json_is_null(json_object_get(s, "shard")));
	assert_true(json_is_null(json_object_get(s, "zone")));
	assert_string_equal(json_string_value(json_object_get(s, "current_lsn")), "16/B374D848");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(doc, "summary"), "status")), "down");
	json_decref(doc);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_render_json__latency__prints_short_decimals(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;
	char *text;

	(void)state;
	make_topology(&topo);
	up_primary(&results[0], LSN(0, 0x500));
	up_replica(&results[1], LSN(0, 0x500), LSN(0, 0x500));
	up_replica(&results[2], LSN(0, 0x500), LSN(0, 0x500));
	up_primary(&results[3], LSN(0, 0x100));
	results[0].latency = 0.0012344;
	health_assess(&topo, results, 0.1, 0, &report);
	text = health_render_json(&report, 1);
	assert_non_null(strstr(text, "\"latency_ms\":1.234,"));
	assert_non_null(strstr(text, "\"timeout\":0.1,"));
	/* One line: the only newline ends it. */
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	free(text);
	health_report_free(&report);
	topology_free(&topo);
}

static void
health_render_prometheus__every_sample__follows_its_help_and_type(void **state)
{
	struct probe_result results[4];
	struct health_report report;
	struct topology topo;
	char *text, *line, *save = NULL, last[128] = "";

	(void)state;
	make_topology(&topo);
	up_primary(&results[0], LSN(0, 0x500));
	up_replica(&results[1], LSN(0, 0x500), LSN(0, 0x400));
	down(&results[2], "refused");
	up_primary(&results[3], LSN(0, 0x100));
	health_assess(&topo, results, 2.0, 0, &report);
	text = health_render_prometheus(&report);
	assert_non_null(strstr(text, "shardkit_server_up{server=\"pg3\",shard=\"s1\"} 0\n"));
	assert_non_null(strstr(text, "shardkit_server_lag_bytes{server=\"pg2\",shard=\"s1\"} 256\n"));
	assert_non_null(strstr(text, "shardkit_server_up{server=\"pg4\",shard=\"\"} 1\n"));
	assert_null(strstr(text, "shardkit_server_lag_bytes{server=\"pg3\""));
	/* Each sample's metric is the one the last TYPE line named. */
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# TYPE ", 7) == 0) {
			snprintf(last, sizeof(last), "%.*s", (int)strcspn(line + 7, " "), line + 7);
			assert_string_equal(line + 7 + strlen(last), " gauge");
		} else if (line[0] != '#') {
			assert_int_equal(strcspn(line, "{ "), strlen(last));
			assert_memory_equal(line, last, strlen(last));
		}
	}
	free(text);
	health_report_free(&report);
	topology_free(&topo);
}

static void
probe_lsn_parse__text_forms__round_trip(void **state)
{
	char text[PROBE_LSN_TEXT_MAX];
	uint64_t lsn;

	(void)state;
	assert_int_equal(probe_lsn_parse("16/B374D848", &lsn), 0);
	assert_true(lsn == LSN(0x16, 0xB374D848));
	probe_lsn_format(lsn, text);
	assert_string_equal(text, "16/B374D848");
	assert_int_equal(probe_lsn_parse("FFFFFFFF/FFFFFFFF", &lsn), 0);
	assert_true(lsn == UINT64_MAX);
	probe_lsn_format(lsn, text);
	assert_string_equal(text, "FFFFFFFF/FFFFFFFF");
	probe_lsn_format(0, text);
	assert_string_equal(text, "0/0");
}

static void
probe_lsn_parse__bad_text__is_rejected(void **state)
{
	uint64_t lsn;

	(void)state;
	assert_int_equal(probe_lsn_parse("", &lsn), -1);
	assert_int_equal(probe_lsn_parse("16", &lsn), -1);
	assert_int_equal(probe_lsn_parse("16/", &lsn), -1);
	assert_int_equal(probe_lsn_parse("16/B374D848x", &lsn), -1);
	assert_int_equal(probe_lsn_parse("G/0", &lsn), -1);
	assert_int_equal(probe_lsn_parse("-1/0", &lsn), -1);
	assert_int_equal(probe_lsn_parse("0x1/0", &lsn), -1);
	assert_int_equal(probe_lsn_parse(" 1/0", &lsn), -1);
	assert_int_equal(probe_lsn_parse("1/ 0", &lsn), -1);
	assert_int_equal(probe_lsn_parse("100000000/0", &lsn), -1);
	assert_int_equal(probe_lsn_parse(NULL, &lsn), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(health_assess__healthy_shard__matches_and_measures_lag),
		cmocka_unit_test(health_assess__replica_ahead_of_primary_sample__lags_zero),
		cmocka_unit_test(health_assess__primary_down__is_down_and_lag_unknown),
		cmocka_unit_test(health_assess__promoted_replica__mismatches_and_lag_unknown),
		cmocka_unit_test(health_exit_status__down_and_mismatch__down_wins),
		cmocka_unit_test(health_assess__read_only_primary__degraded_and_exit_7),
		cmocka_unit_test(health_to_json__down_server__has_every_key_with_nulls),
		cmocka_unit_test(health_render_json__latency__prints_short_decimals),
		cmocka_unit_test(health_render_prometheus__every_sample__follows_its_help_and_type),
		cmocka_unit_test(probe_lsn_parse__text_forms__round_trip),
		cmocka_unit_test(probe_lsn_parse__bad_text__is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
