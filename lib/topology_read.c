/* topology_read.c -- a topology document to the model, checking its shape
 *
 * The first of the two loading passes: every type, required and unknown
 * field and enum value is checked while the model is built, and every
 * problem goes to the list with its JSON path; nothing stops at the first.
 * When the shape is sound, topology_rules.c checks the rules across objects.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "hash.h"
#include "names.h"
#include "tokensort.h"
#include "topology.h"
#include "topology_private.h"

static const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static void
path_join(char *out, size_t len, const char *base, const char *key)
{
	if (base[0] == '\0')
		snprintf(out, len, "%s", key);
	else
		snprintf(out, len, "%s.%s", base, key);
}

/* Report every key of obj not in allowed (NULL-terminated). */
static void
check_fields(const json_t *obj, const char *path, const char *const *allowed,
    struct problems *problems)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)obj, key, value) {
		size_t i;
		char p[128];

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			path_join(p, sizeof(p), path, key);
			ERR(p, "unknown field");
		}
	}
}

/* A string field: its value, or NULL when absent (required: a problem) or mistyped. */
static const char *
field_string(const json_t *obj, const char *path, const char *key, int required,
    struct problems *problems)
{
	json_t *v = json_object_get(obj, key);
	char p[128];

	path_join(p, sizeof(p), path, key);
	if (v == NULL) {
		if (required)
			ERR(p, "missing required field");
		return NULL;
	}
	if (!json_is_string(v)) {
		ERR(p, "expected a string, found %s", json_type_name(v));
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		ERR(p, "string contains a NUL byte");
		return NULL;
	}
	return json_string_value(v);
}

/* An integer field within [min, max]: 1 and *out set, 0 when absent or bad. */
static int
field_integer(const json_t *obj, const char *path, const char *key, int required,
    json_int_t min, json_int_t max, json_int_t *out, struct problems *problems)
{
	json_t *v = json_object_get(obj, key);
	char p[128];

	path_join(p, sizeof(p), path, key);
	if (v == NULL) {
		if (required)
			ERR(p, "missing required field");
		return 0;
	}
	if (!json_is_integer(v)) {
		ERR(p, "expected an integer, found %s", json_type_name(v));
		return 0;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		ERR(p, "expected an integer from %lld to %lld, found %lld",
		    (long long)min, (long long)max, (long long)json_integer_value(v));
		return 0;
	}
	*out = json_integer_value(v);
	return 1;
}

static int
enum_field(const json_t *obj, const char *path, const char *key,
    const struct name_table *names, int fallback, struct problems *problems)
{
	const char *s = field_string(obj, path, key, 0, problems);
	char p[128], list[256];
	int v;

	if (s == NULL)
		return fallback;
	v = name_table_parse(names, s);
	if (v < 0) {
		path_join(p, sizeof(p), path, key);
		ERR(p, "expected %s, found \"%s\"", name_table_list(names, list, sizeof(list)), s);
		return fallback;
	}
	return v;
}

static const json_t *
field_array(const json_t *obj, const char *path, const char *key, struct problems *problems)
{
	json_t *v = json_object_get(obj, key);
	char p[128];

	if (v == NULL)
		return NULL;
	if (!json_is_array(v)) {
		path_join(p, sizeof(p), path, key);
		ERR(p, "expected an array, found %s", json_type_name(v));
		return NULL;
	}
	return v;
}

static int
compare_tokens(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
read_tokens(const json_t *obj, const char *path, uint64_t **tokens, size_t *count,
    struct problems *problems)
{
	const json_t *arr = field_array(obj, path, "tokens", problems);
	size_t i;

	*tokens = NULL;
	*count = 0;
	if (arr == NULL)
		return;
	*tokens = xcalloc(json_array_size(arr), sizeof(uint64_t));
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		char p[128];

		if (!json_is_string(t) || token_parse(json_string_value(t), &(*tokens)[*count]) != 0) {
			/* The path is formatted only here: a large ring has 10^5 tokens. */
			snprintf(p, sizeof(p), "%s.tokens[%zu]", path, i);
			ERR(p, "expected a token: a string of 16 lowercase hexadecimal digits");
			continue;
		}
		(*count)++;
	}
	/* Written sorted by ring-place and topology_save: usually nothing to do. */
	if (!tokens_sorted(*tokens, *count))
		qsort(*tokens, *count, sizeof(uint64_t), compare_tokens);
}

static void
read_hash(const json_t *doc, struct topology *topo, struct problems *problems)
{
	static const char *const fields[] = { "algorithm", "seed", NULL };
	json_t *hash = json_object_get(doc, "hash");
	const char *algorithm;
	json_int_t seed;

	if (hash == NULL)
		return;
	if (!json_is_object(hash)) {
		ERR("hash", "expected an object, found %s", json_type_name(hash));
		return;
	}
	check_fields(hash, "hash", fields, problems);
	algorithm = field_string(hash, "hash", "algorithm", 0, problems);
	if (algorithm != NULL && strcmp(algorithm, HASH_ALGORITHM) != 0)
		ERR("hash.algorithm", "expected \"%s\", found \"%s\"", HASH_ALGORITHM, algorithm);
	/* 2^53 - 1: the largest integer jq and JavaScript carry exactly. */
	if (field_integer(hash, "hash", "seed", 0, 0, 9007199254740991LL, &seed, problems))
		topo->hash_seed = (uint64_t)seed;
}

static void
read_tables(const json_t *doc, struct topology *topo, struct problems *problems)
{
	static const char *const fields[] = { "name", "key", NULL };
	const json_t *arr = field_array(doc, "", "tables", problems);
	size_t i;

	if (arr == NULL)
		return;
	topo->tables = xcalloc(json_array_size(arr), sizeof(*topo->tables));
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *t = json_array_get(arr, i);
		const char *name, *key;
		char p[64];

		snprintf(p, sizeof(p), "tables[%zu]", i);
		if (!json_is_object(t)) {
			ERR(p, "expected an object, found %s", json_type_name(t));
			continue;
		}
		check_fields(t, p, fields, problems);
		name = field_string(t, p, "name", 1, problems);
		key = field_string(t, p, "key", 1, problems);
		if (name == NULL || key == NULL)
			continue;
		topo->tables[topo->table_count].name = xstrdup(name);
		topo->tables[topo->table_count].key = xstrdup(key);
		topo->table_count++;
	}
}

static void
read_shards(const json_t *doc, struct topology *topo, struct problems *problems)
{
	static const char *const fields[] = { "id", "state", "tokens", NULL };
	const json_t *arr = field_array(doc, "", "shards", problems);
	size_t i;

	if (arr == NULL)
		return;
	topo->shards = xcalloc(json_array_size(arr), sizeof(*topo->shards));
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);
		struct topology_shard *shard;
		const char *id;
		char p[64];

		snprintf(p, sizeof(p), "shards[%zu]", i);
		if (!json_is_object(s)) {
			ERR(p, "expected an object, found %s", json_type_name(s));
			continue;
		}
		check_fields(s, p, fields, problems);
		id = field_string(s, p, "id", 1, problems);
		if (id == NULL)
			continue;
		shard = &topo->shards[topo->shard_count++];
		shard->id = xstrdup(id);
		shard->state = enum_field(s, p, "state", &SHARD_STATES, SHARD_ACTIVE, problems);
		read_tokens(s, p, &shard->tokens, &shard->token_count, problems);
	}
}

static void
read_server(const json_t *s, const char *p, struct topology *topo,
    const struct name_index *shard_ids, struct problems *problems)
{
	static const char *const fields[] = {
		"id", "conninfo", "zone", "state", "role", "shard", "data_directory", "tokens", NULL,
	};
	struct topology_server *server;
	const char *id, *conninfo, *zone, *shard, *datadir;
	char sp[128];

	check_fields(s, p, fields, problems);
	id = field_string(s, p, "id", 1, problems);
	conninfo = field_string(s, p, "conninfo", 1, problems);
	zone = field_string(s, p, "zone", 0, problems);
	shard = field_string(s, p, "shard", 0, problems);
	datadir = field_string(s, p, "data_directory", 0, problems);
	if (id == NULL || conninfo == NULL)
		return;
	server = &topo->servers[topo->server_count++];
	server->id = xstrdup(id);
	server->conninfo = xstrdup(conninfo);
	server->zone = xstrdup(zone != NULL ? zone : "");
	server->data_directory = datadir != NULL ? xstrdup(datadir) : NULL;
	server->state = enum_field(s, p, "state", &SERVER_STATES, SERVER_UP, problems);
	server->role = enum_field(s, p, "role", &SERVER_ROLES,
	    ROLE_NONE, problems);
	server->shard = -1;
	if (shard != NULL) {
		server->shard = (int)name_index_find(shard_ids, shard);
		if (server->shard < 0) {
			path_join(sp, sizeof(sp), p, "shard");
			ERR(sp, "unknown shard \"%s\"", shard);
		}
	}
	read_tokens(s, p, &server->tokens, &server->token_count, problems);
}

static void
read_servers(const json_t *doc, struct topology *topo, struct problems *problems)
{
	const json_t *arr = field_array(doc, "", "servers", problems);
	const char **ids;
	struct name_index shard_ids;
	size_t i;

	if (arr == NULL)
		return;
	topo->servers = xcalloc(json_array_size(arr), sizeof(*topo->servers));
	/* Shard names looked up by a sorted index: one search per server, not a scan. */
	ids = xmalloc((topo->shard_count ? topo->shard_count : 1) * sizeof(*ids));
	for (i = 0; i < topo->shard_count; i++)
		ids[i] = topo->shards[i].id;
	name_index_build(&shard_ids, ids, topo->shard_count);
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);
		char p[64];

		snprintf(p, sizeof(p), "servers[%zu]", i);
		if (!json_is_object(s)) {
			ERR(p, "expected an object, found %s", json_type_name(s));
			continue;
		}
		read_server(s, p, topo, &shard_ids, problems);
	}
	name_index_free(&shard_ids);
	free(ids);
}

int
topology_from_json(const json_t *doc, struct topology *topo, struct problems *problems)
{
	static const char *const fields[] = {
		"format", "version", "mode", "replication_factor", "vnodes", "hash",
		"tables", "servers", "shards", "migrations", NULL,
	};
	const char *format, *mode;
	size_t errors_before = problems_count(problems, PROBLEM_ERROR);
	json_int_t n;
	json_t *migrations;

	memset(topo, 0, sizeof(*topo));
	topo->vnodes = CONFIG_DEFAULT_VNODES;
	topo->replication_factor = 1;
	if (!json_is_object(doc)) {
		ERR("$", "expected a JSON object");
		return -1;
	}
	check_fields(doc, "", fields, problems);
	format = field_string(doc, "", "format", 0, problems);
	if (format != NULL && strcmp(format, TOPOLOGY_FORMAT) != 0)
		ERR("format", "expected \"%s\", found \"%s\"", TOPOLOGY_FORMAT, format);
	if (field_integer(doc, "", "version", 1, 0, INT64_MAX, &n, problems))
		topo->version = n;
	mode = field_string(doc, "", "mode", 1, problems);
	if (mode != NULL) {
		int m = topology_mode_parse(mode);

		if (m < 0)
			ERR("mode", "expected %s, found \"%s\"", topology_mode_names(), mode);
		else
			topo->mode = m;
	}
	if (field_integer(doc, "", "replication_factor", 1, 1, 100, &n, problems))
		topo->replication_factor = (int)n;
	if (field_integer(doc, "", "vnodes", 0, 1, 65536, &n, problems)) {
		topo->vnodes = (int)n;
		topo->vnodes_given = 1;
	}
	read_hash(doc, topo, problems);
	read_tables(doc, topo, problems);
	read_shards(doc, topo, problems);
	read_servers(doc, topo, problems);
	migrations = json_object_get(doc, "migrations");
	if (migrations != NULL && !json_is_array(migrations))
		ERR("migrations", "expected an array, found %s", json_type_name(migrations));
	topo->migrations = migrations != NULL && json_is_array(migrations) ?
	    json_deep_copy(migrations) : json_array();

	if (problems_count(problems, PROBLEM_ERROR) == errors_before)
		topology_validate(topo, problems);
	if (problems_count(problems, PROBLEM_ERROR) != errors_before) {
		topology_free(topo);
		return -1;
	}
	return 0;
}
