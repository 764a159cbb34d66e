/* test_lookup.c -- ring-lookup's records: formats, fields, escaping, batches */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "hash.h"
#include "lookup.h"
#include "route.h"
#include "topology.h"

/* One shard owning the whole ring, with a primary, a replica and a reserve. */
static const char one_shard[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"primary-replica\","
    "\"replication_factor\":2,\"servers\":["
    "{\"id\":\"p\",\"conninfo\":\"host=127.0.0.1 port=1\",\"role\":\"primary\",\"shard\":\"s1\"},"
    "{\"id\":\"r\",\"conninfo\":\"port=2\",\"role\":\"replica\",\"shard\":\"s1\"},"
    "{\"id\":\"v\",\"conninfo\":\"port=3\",\"role\":\"reserve\",\"shard\":\"s1\"}],"
    "\"shards\":[{\"id\":\"s1\",\"state\":\"active\",\"tokens\":[\"8000000000000000\"]}]}";

static const char no_primary[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"primary-replica\","
    "\"replication_factor\":1,\"servers\":[],"
    "\"shards\":[{\"id\":\"s9\",\"state\":\"down\",\"tokens\":[\"8000000000000000\"]}]}";

static const char two_servers[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"multi-master\","
    "\"replication_factor\":2,\"servers\":["
    "{\"id\":\"A\",\"conninfo\":\"port=1\",\"tokens\":[\"0000000000000010\"]},"
    "{\"id\":\"B\",\"conninfo\":\"port=2\",\"tokens\":[\"8000000000000000\"]}]}";

struct fixture {
	struct topology topo;
	struct router router;
	struct lookup_writer writer;
	char *text;
	size_t size;
	FILE *out;
};

static void
setup_writer(struct fixture *f, const char *topology, enum lookup_format format, int field)
{
	struct problems problems = { 0 };
	json_error_t err;
	json_t *doc = json_loads(topology, 0, &err);

	assert_non_null(doc);
	assert_int_equal(topology_from_json(doc, &f->topo, &problems), 0);
	problems_free(&problems);
	json_decref(doc);
	assert_int_equal(router_build(&f->router, &f->topo), ROUTE_OK);
	f->out = open_memstream(&f->text, &f->size);
	lookup_writer_init(&f->writer, &f->router, format, field, f->out);
}

/* Everything written so far, as a string owned by the fixture. */
static const char *
written(struct fixture *f)
{
	assert_int_equal(lookup_flush(&f->writer), 0);
	fflush(f->out);
	return f->text;
}

static void
teardown_writer(struct fixture *f)
{
	lookup_writer_free(&f->writer);
	fclose(f->out);
	free(f->text);
	router_free(&f->router);
	topology_free(&f->topo);
}

static void
lookup_key__json__writes_the_whole_record(void **state)
{
	struct fixture f;
	char expected[512], hash[TOKEN_TEXT_LEN + 1];

	(void)state;
	setup_writer(&f, one_shard, LOOKUP_JSON, FIELD_ALL);
	assert_int_equal(lookup_key(&f.writer, "42", 2), 0);
	token_format(hash_key("42", 2, 0), hash);
	snprintf(expected, sizeof(expected),
	    "{\"key\":\"42\",\"hash\":\"%s\",\"shard\":\"s1\",\"state\":\"active\","
	    "\"primary\":{\"id\":\"p\",\"conninfo\":\"host=127.0.0.1 port=1\"},"
	    "\"replicas\":[{\"id\":\"r\",\"conninfo\":\"port=2\"}],"
	    "\"reserves\":[{\"id\":\"v\",\"conninfo\":\"port=3\"}]}\n", hash);
	assert_string_equal(written(&f), expected);
	teardown_writer(&f);
}

static void
lookup_key__tsv__writes_tab_separated_fields(void **state)
{
	struct fixture f;
	char expected[512], hash[TOKEN_TEXT_LEN + 1];

	(void)state;
	setup_writer(&f, one_shard, LOOKUP_TSV, FIELD_ALL);
	assert_int_equal(lookup_key(&f.writer, "a\tb\\", 4), 0);
	token_format(hash_key("a\tb\\", 4, 0), hash);
	snprintf(expected, sizeof(expected),
	    "a\\tb\\\\\t%s\ts1\tactive\tp\thost=127.0.0.1 port=1\tr\tv\n", hash);
	assert_string_equal(written(&f), expected);
	teardown_writer(&f);
}

static void
lookup_key__control_and_quote_characters__are_escaped_in_json(void **state)
{
	struct fixture f;

	(void)state;
	setup_writer(&f, one_shard, LOOKUP_JSON, FIELD_KEY);
	assert_int_equal(lookup_key(&f.writer, "q\"b\\n\n\x01\t\x7f", 9), 0);
	assert_int_equal(lookup_key(&f.writer, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9), 0);
	assert_string_equal(written(&f),
	    "\"q\\\"b\\\\n\\n\\u0001\\t\x7f\"\n\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\n");
	teardown_writer(&f);
}

static void
lookup_key__invalid_utf8__is_refused_in_json_and_written_in_tsv(void **state)
{
	static const char *const bad[] = {
		"\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x80",
	};
	struct fixture f;
	size_t i;

	(void)state;
	setup_writer(&f, one_shard, LOOKUP_JSON, FIELD_ALL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lookup_key(&f.writer, bad[i], strlen(bad[i])), -1);
	assert_string_equal(written(&f), "");
	teardown_writer(&f);
	setup_writer(&f, one_shard, LOOKUP_TSV, FIELD_KEY);
	assert_int_equal(lookup_key(&f.writer, "\xff", 1), 0);
	assert_string_equal(written(&f), "\xff\n");
	teardown_writer(&f);
}

static void
lookup_key__single_fields__print_bare_values(void **state)
{
	static const struct { int field; enum lookup_format format; const char *out; } cases[] = {
		{ FIELD_SHARD, LOOKUP_TSV, "s1\n" },
		{ FIELD_SHARD, LOOKUP_JSON, "\"s1\"\n" },
		{ FIELD_STATE, LOOKUP_TSV, "active\n" },
		{ FIELD_PRIMARY, LOOKUP_TSV, "p\n" },
		{ FIELD_PRIMARY, LOOKUP_JSON, "{\"id\":\"p\",\"conninfo\":\"host=127.0.0.1 port=1\"}\n" },
		{ FIELD_PRIMARY_CONNINFO, LOOKUP_TSV, "host=127.0.0.1 port=1\n" },
		{ FIELD_REPLICAS, LOOKUP_TSV, "r\n" },
		{ FIELD_RESERVES, LOOKUP_JSON, "[{\"id\":\"v\",\"conninfo\":\"port=3\"}]\n" },
		{ FIELD_KEY, LOOKUP_TSV, "k\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture f;

		setup_writer(&f, one_shard, cases[i].format, cases[i].field);
		assert_int_equal(lookup_key(&f.writer, "k", 1), 0);
		assert_string_equal(written(&f), cases[i].out);
		teardown_writer(&f);
	}
}

static void
lookup_key__shard_without_primary__reports_null_and_its_state(void **state)
{
	struct fixture f;

	(void)state;
	setup_writer(&f, no_primary, LOOKUP_JSON, FIELD_PRIMARY);
	assert_int_equal(lookup_key(&f.writer, "k", 1), 0);
	assert_string_equal(written(&f), "null\n");
	teardown_writer(&f);
	setup_writer(&f, no_primary, LOOKUP_TSV, FIELD_ALL);
	assert_int_equal(lookup_key(&f.writer, "k", 1), 0);
	assert_non_null(strstr(written(&f), "\ts9\tdown\t\t\t\t\n"));
	teardown_writer(&f);
}

static void
lookup_key__multi_master__lists_the_preference_list(void **state)
{
	struct fixture f;
	uint64_t h = hash_key("k", 1, 0);
	const char *first = h > 0x10 && h <= UINT64_C(0x8000000000000000) ? "B" : "A";
	char expected[64];

	(void)state;
	setup_writer(&f, two_servers, LOOKUP_TSV, FIELD_SERVERS);
	assert_int_equal(lookup_key(&f.writer, "k", 1), 0);
	snprintf(expected, sizeof(expected), "%s,%s\n", first, first[0] == 'A' ? "B" : "A");
	assert_string_equal(written(&f), expected);
	teardown_writer(&f);
	setup_writer(&f, two_servers, LOOKUP_JSON, FIELD_ALL);
	assert_int_equal(lookup_key(&f.writer, "k", 1), 0);
	assert_non_null(strstr(written(&f), "\"servers\":[{\"id\":\""));
	teardown_writer(&f);
}

static void
lookup_keys__batch__writes_what_single_lookups_write(void **state)
{
	const char *keys[] = { "a", "bb", "\xff", "d" };
	size_t lens[] = { 1, 2, 1, 1 };
	struct fixture one, many;
	int done;

	(void)state;
	setup_writer(&one, two_servers, LOOKUP_JSON, FIELD_ALL);
	setup_writer(&many, two_servers, LOOKUP_JSON, FIELD_ALL);
	assert_int_equal(lookup_key(&one.writer, "a", 1), 0);
	assert_int_equal(lookup_key(&one.writer, "bb", 2), 0);
	/* The third key cannot be JSON: two records, then -1 with done = 2. */
	assert_int_equal(lookup_keys(&many.writer, keys, lens, 4, &done), -1);
	assert_int_equal(done, 2);
	assert_string_equal(written(&many), written(&one));
	teardown_writer(&one);
	teardown_writer(&many);
}

static void
lookup_field_parse__names__round_trip_and_unknown_is_refused(void **state)
{
	(void)state;
	assert_int_equal(lookup_field_parse("shard"), FIELD_SHARD);
	assert_int_equal(lookup_field_parse("servers"), FIELD_SERVERS);
	assert_int_equal(lookup_field_parse("primary_conninfo"), FIELD_PRIMARY_CONNINFO);
	assert_int_equal(lookup_field_parse("shards"), -1);
	assert_false(lookup_field_in_mode(FIELD_SHARD, 1));
	assert_false(lookup_field_in_mode(FIELD_SERVERS, 0));
	assert_true(lookup_field_in_mode(FIELD_HASH, 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookup_key__json__writes_the_whole_record),
		cmocka_unit_test(lookup_key__tsv__writes_tab_separated_fields),
		cmocka_unit_test(lookup_key__control_and_quote_characters__are_escaped_in_json),
		cmocka_unit_test(lookup_key__invalid_utf8__is_refused_in_json_and_written_in_tsv),
		cmocka_unit_test(lookup_key__single_fields__print_bare_values),
		cmocka_unit_test(lookup_key__shard_without_primary__reports_null_and_its_state),
		cmocka_unit_test(lookup_key__multi_master__lists_the_preference_list),
		cmocka_unit_test(lookup_keys__batch__writes_what_single_lookups_write),
		cmocka_unit_test(lookup_field_parse__names__round_trip_and_unknown_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
