/* fuzz_ring_lookup.c -- libFuzzer target for ring-lookup's key stream
 *
 * The first byte picks the ring (shard or multi-master), the output format,
 * the field and the reader's read size, so line ends fall across reads;
 * the rest goes through the key-stream reader exactly as standard input
 * would, and every key through the router and the record writer.  Checks:
 * every key obeys the stream's rules, the bucket table agrees with a plain
 * binary search, and every JSON record parses back to the same key.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hash.h"
#include "keystream.h"
#include "lookup.h"
#include "route.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tokens crowded near zero and near the top, so wrap and search both matter. */
static const char shard_ring[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"primary-replica\","
    "\"replication_factor\":2,\"servers\":["
    "{\"id\":\"p1\",\"conninfo\":\"host=127.0.0.1 port=1 application_name='a\\\"b'\","
    " \"role\":\"primary\",\"shard\":\"s1\"},"
    "{\"id\":\"r1\",\"conninfo\":\"port=2\",\"role\":\"replica\",\"shard\":\"s1\"},"
    "{\"id\":\"p2\",\"conninfo\":\"port=3\",\"role\":\"primary\",\"shard\":\"s2\"}],"
    "\"shards\":[{\"id\":\"s1\",\"state\":\"active\",\"tokens\":[\"0000000000000001\","
    "\"0000000000000003\",\"8000000000000000\",\"ffffffffffffffff\"]},"
    "{\"id\":\"s2\",\"state\":\"down\",\"tokens\":[\"0000000000000002\",\"7fffffffffffffff\"]},"
    "{\"id\":\"s3\",\"state\":\"creating\",\"tokens\":[\"4000000000000000\"]}]}";

static const char multi_ring[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":1,\"mode\":\"multi-master\","
    "\"replication_factor\":3,\"servers\":["
    "{\"id\":\"A\",\"conninfo\":\"port=1\",\"zone\":\"z1\",\"tokens\":[\"1000000000000000\",\"f000000000000000\"]},"
    "{\"id\":\"B\",\"conninfo\":\"port=2\",\"zone\":\"z1\",\"tokens\":[\"2000000000000000\"]},"
    "{\"id\":\"C\",\"conninfo\":\"port=3\",\"zone\":\"z2\",\"state\":\"down\",\"tokens\":[\"3000000000000000\"]},"
    "{\"id\":\"D\",\"conninfo\":\"port=4\",\"zone\":\"z3\",\"tokens\":[\"4000000000000000\"]}]}";

static struct topology topos[2];
static struct router routers[2];

static void
build(int i, const char *text)
{
	struct problems problems = { 0 };
	json_error_t err;
	json_t *doc = json_loads(text, 0, &err);

	if (doc == NULL || topology_from_json(doc, &topos[i], &problems) != 0 ||
	    router_build(&routers[i], &topos[i]) != ROUTE_OK)
		abort();
	problems_free(&problems);
	json_decref(doc);
}

/* The router's answer must be the definition's: first token >= hash. */
static void
check_route(const struct router *r, uint64_t hash)
{
	size_t point = router_point(r, hash);

	if (router_find(r, hash) != r->answer[point])
		abort();
	if (point == 0 ? !(hash <= r->tokens[0] || hash > r->tokens[r->count - 1]) :
	    !(r->tokens[point] >= hash && r->tokens[point - 1] < hash))
		abort();
}

/* Every JSON record must parse and carry the key it was written for. */
static void
check_records(const char *text, size_t size, const char **keys, const size_t *lens, size_t n)
{
	const char *line = text, *end = text + size;
	size_t i = 0;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		json_error_t err;
		json_t *rec, *key;

		if (nl == NULL || i >= n)
			abort();
		rec = json_loadb(line, (size_t)(nl - line), 0, &err);
		key = json_object_get(rec, "key");
		if (rec == NULL || !json_is_string(key) || json_string_length(key) != lens[i] ||
		    memcmp(json_string_value(key), keys[i], lens[i]) != 0)
			abort();
		json_decref(rec);
		line = nl + 1;
		i++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static const int fields[] = { FIELD_ALL, FIELD_KEY, FIELD_HASH, FIELD_SHARD };
	struct lookup_writer writer;
	struct keystream ks;
	const char *keys[LOOKUP_BATCH];
	size_t lens[LOOKUP_BATCH], out_size = 0;
	char *out_text = NULL;
	FILE *out;
	int n, done, which, field, rc;
	enum lookup_format format;

	if (!ready) {
		build(0, shard_ring);
		build(1, multi_ring);
		ready = 1;
	}
	if (size == 0)
		return 0;
	which = data[0] & 1;
	format = (data[0] & 2) ? LOOKUP_TSV : LOOKUP_JSON;
	field = fields[(data[0] >> 2) & 3];
	if (which == 1 && field == FIELD_SHARD)
		field = FIELD_SERVERS;
	out = open_memstream(&out_text, &out_size);
	lookup_writer_init(&writer, &routers[which], format, field, out);
	keystream_open_memory(&ks, data + 1, size - 1);
	ks.read_size = 1 + (data[0] >> 4) * 5;
	while ((n = keystream_next_batch(&ks, keys, lens, 1 + (int)(data[0] % LOOKUP_BATCH))) > 0) {
		int i;

		for (i = 0; i < n; i++) {
			if (lens[i] > KEYSTREAM_KEY_MAX || memchr(keys[i], '\0', lens[i]) != NULL)
				abort();
			check_route(&routers[which], hash_key(keys[i], lens[i], 0));
		}
		rc = lookup_keys(&writer, keys, lens, n, &done);
		if (rc == -2 || done > n || (rc == 0 && done != n) || (rc == -1 && format != LOOKUP_JSON))
			abort();
		if (lookup_flush(&writer) != 0)
			abort();
		fflush(out);
		if (format == LOOKUP_JSON && field == FIELD_ALL)
			check_records(out_text, out_size, keys, lens, (size_t)done);
		rewind(out);
		if (rc == -1)
			break;
	}
	if (n < 0 && ks.error[0] == '\0')
		abort();
	keystream_close(&ks);
	lookup_writer_free(&writer);
	fclose(out);
	free(out_text);
	return 0;
}
