/* topology.c -- the cluster's shared configuration: model, load, validate, save
 *
 * Loading is two passes over one problem list.  topology_from_json() checks
 * the document's shape (types, required and unknown fields, enum values)
 * while building the model; topology_validate() then checks the rules that
 * span objects (one primary per shard, replication factor, duplicate tokens,
 * one PostgreSQL server named twice).  Neither stops at the first problem,
 * so topo-check can list them all, each with its JSON path.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "conn.h"
#include "error.h"
#include "hash.h"
#include "json.h"
#include "names.h"
#include "tokensort.h"
#include "topology.h"

/* One table per enum: the only place their names are spelled. */
static const char *const mode_names[] = {
	[MODE_PRIMARY_REPLICA] = "primary-replica",
	[MODE_NO_REPLICATION] = "no-replication",
	[MODE_MULTI_MASTER] = "multi-master",
};
static const char *const server_state_names[] = {
	[SERVER_UP] = "up", [SERVER_DOWN] = "down", [SERVER_JOINING] = "joining",
	[SERVER_DRAINING] = "draining", [SERVER_WIPED] = "wiped", [SERVER_FENCED] = "fenced",
};
static const char *const role_names[] = {
	[ROLE_NONE] = "none", [ROLE_PRIMARY] = "primary", [ROLE_REPLICA] = "replica",
	[ROLE_RESERVE] = "reserve",
};
static const char *const shard_state_names[] = {
	[SHARD_ACTIVE] = "active", [SHARD_DOWN] = "down", [SHARD_CREATING] = "creating",
	[SHARD_DRAINING] = "draining",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int
name_parse(const char *const *names, size_t count, const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* "a", "b" or "c": the accepted names, for messages. */
static const char *
name_list(const char *const *names, size_t count, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"",
		    i == 0 ? "" : (i + 1 == count ? " or " : ", "), names[i]);
	return buf;
}

const char *topology_mode_name(enum topology_mode m) { return mode_names[m]; }
int topology_mode_parse(const char *n) { return name_parse(mode_names, COUNT(mode_names), n); }
const char *server_state_name(enum server_state s) { return server_state_names[s]; }
int server_state_parse(const char *n) { return name_parse(server_state_names, COUNT(server_state_names), n); }
const char *server_role_name(enum server_role r) { return role_names[r]; }
int server_role_parse(const char *n) { return name_parse(role_names, COUNT(role_names), n); }
const char *shard_state_name(enum shard_state s) { return shard_state_names[s]; }
int shard_state_parse(const char *n) { return name_parse(shard_state_names, COUNT(shard_state_names), n); }

const char *
topology_mode_names(void)
{
	static char buf[128];

	return name_list(mode_names, COUNT(mode_names), buf, sizeof(buf));
}

int
topology_id_valid(const char *id)
{
	size_t i, len = strlen(id);

	if (len == 0 || len > TOPOLOGY_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return 0;
	}
	return 1;
}

/* ---- problems ---------------------------------------------------------- */

void
problems_add(struct problems *list, enum problem_severity severity,
    const char *path, const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 16;
		list->items = xreallocarray(list->items, list->capacity, sizeof(*p));
	}
	p = &list->items[list->count++];
	p->severity = severity;
	snprintf(p->path, sizeof(p->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	va_end(ap);
}

size_t
problems_count(const struct problems *list, enum problem_severity severity)
{
	size_t i, n = 0;

	for (i = 0; i < list->count; i++)
		if (list->items[i].severity == severity)
			n++;
	return n;
}

void
problems_report(const struct problems *list, const char *source, int with_warnings)
{
	size_t i;

	for (i = 0; i < list->count; i++) {
		const struct problem *p = &list->items[i];

		if (p->severity == PROBLEM_ERROR)
			error_report("%s: %s: %s", source, p->path, p->message);
		else if (with_warnings)
			error_report("%s: %s: warning: %s", source, p->path, p->message);
	}
}

void
problems_free(struct problems *list)
{
	free(list->items);
	memset(list, 0, sizeof(*list));
}

/* ---- reading the document ---------------------------------------------- */

#define ERR(path, ...) problems_add(problems, PROBLEM_ERROR, path, __VA_ARGS__)

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
    const char *const *names, size_t count, int fallback, struct problems *problems)
{
	const char *s = field_string(obj, path, key, 0, problems);
	char p[128], list[256];
	int v;

	if (s == NULL)
		return fallback;
	v = name_parse(names, count, s);
	if (v < 0) {
		path_join(p, sizeof(p), path, key);
		ERR(p, "expected %s, found \"%s\"", name_list(names, count, list, sizeof(list)), s);
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
		shard->state = enum_field(s, p, "state", shard_state_names,
		    COUNT(shard_state_names), SHARD_ACTIVE, problems);
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
	server->state = enum_field(s, p, "state", server_state_names,
	    COUNT(server_state_names), SERVER_UP, problems);
	server->role = enum_field(s, p, "role", role_names, COUNT(role_names),
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

/* ---- rules across objects ---------------------------------------------- */

#define WARN(path, ...) problems_add(problems, PROBLEM_WARNING, path, __VA_ARGS__)

/*
 * Duplicates are found through a name index (names.h), not by comparing
 * every pair: at thousands of servers the pairs cost more than the parse.
 * The problems come out in the order the pairwise loop gave them: by entry,
 * then by the earlier entry it repeats.
 */
static void
validate_ids(const struct topology *topo, struct problems *problems)
{
	size_t n = topo->server_count > topo->shard_count ? topo->server_count : topo->shard_count;
	const char **names;
	struct name_index x;
	size_t i, k, first, dups;
	char p[64];

	if (topo->table_count > n)
		n = topo->table_count;
	names = xmalloc((n ? n : 1) * sizeof(*names));
	for (i = 0; i < topo->shard_count; i++)
		names[i] = topo->shards[i].id;
	name_index_build(&x, names, topo->shard_count);
	for (i = 0; i < topo->shard_count; i++) {
		snprintf(p, sizeof(p), "shards[%zu].id", i);
		if (!topology_id_valid(topo->shards[i].id))
			ERR(p, "invalid id \"%s\": expected 1 to %d letters, digits, '_', '.' or '-'",
			    topo->shards[i].id, TOPOLOGY_ID_MAX);
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++)
			ERR(p, "duplicate shard id \"%s\" (also shards[%zu])", topo->shards[i].id,
			    x.sorted[first + k].index);
	}
	name_index_free(&x);
	for (i = 0; i < topo->server_count; i++)
		names[i] = topo->servers[i].id;
	name_index_build(&x, names, topo->server_count);
	for (i = 0; i < topo->server_count; i++) {
		snprintf(p, sizeof(p), "servers[%zu].id", i);
		if (!topology_id_valid(topo->servers[i].id))
			ERR(p, "invalid id \"%s\": expected 1 to %d letters, digits, '_', '.' or '-'",
			    topo->servers[i].id, TOPOLOGY_ID_MAX);
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++)
			ERR(p, "duplicate server id \"%s\" (also servers[%zu])", topo->servers[i].id,
			    x.sorted[first + k].index);
	}
	name_index_free(&x);
	for (i = 0; i < topo->table_count; i++)
		names[i] = topo->tables[i].name;
	name_index_build(&x, names, topo->table_count);
	for (i = 0; i < topo->table_count; i++) {
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++) {
			snprintf(p, sizeof(p), "tables[%zu].name", i);
			ERR(p, "duplicate table \"%s\" (also tables[%zu])", topo->tables[i].name,
			    x.sorted[first + k].index);
		}
	}
	name_index_free(&x);
	free(names);
}

/*
 * Two entries naming one PostgreSQL server (same host and port) would let a
 * "replica" be the primary itself: two copies of a shard on one server.
 */
static void
validate_conninfos(const struct topology *topo, struct problems *problems)
{
	size_t n = topo->server_count;
	char (*where)[300] = xcalloc(n + 1, sizeof(*where));
	const char **names = xmalloc((n + 1) * sizeof(*names));
	unsigned char *bad = xcalloc(n + 1, 1);
	struct name_index x;
	size_t i, k, first, dups;

	for (i = 0; i < n; i++) {
		char host[256], port[32], why[256];

		names[i] = where[i];
		if (conninfo_inspect(topo->servers[i].conninfo, host, sizeof(host), port,
		    sizeof(port), why, sizeof(why)) != 0)
			bad[i] = 1;
		else
			snprintf(where[i], sizeof(where[i]), "%s:%s", host, port);
	}
	/* A bad conninfo's "" never equals a good one's "host:port". */
	name_index_build(&x, names, n);
	for (i = 0; i < n; i++) {
		const struct topology_server *s = &topo->servers[i];
		char host[256], port[32], why[256], p[64];

		snprintf(p, sizeof(p), "servers[%zu].conninfo", i);
		if (bad[i]) {
			/* Rare: inspected again for its message rather than keeping 256 bytes a server. */
			conninfo_inspect(s->conninfo, host, sizeof(host), port, sizeof(port),
			    why, sizeof(why));
			ERR(p, "%s", why);
			continue;
		}
		dups = name_index_earlier(&x, i, &first);
		for (k = 0; k < dups; k++) {
			size_t j = x.sorted[first + k].index;

			if (s->shard >= 0 && s->shard == topo->servers[j].shard)
				ERR(p, "servers \"%s\" and \"%s\" are the same PostgreSQL server (%s): two copies of shard \"%s\" on one server",
				    topo->servers[j].id, s->id, where[i], topo->shards[s->shard].id);
			else
				ERR(p, "servers \"%s\" and \"%s\" are the same PostgreSQL server (%s)",
				    topo->servers[j].id, s->id, where[i]);
		}
	}
	name_index_free(&x);
	free(bad);
	free(names);
	free(where);
}

struct owned_token {
	uint64_t token;
	int owner;
};

/* Every token on the ring must be distinct: a tie has no owner. */
static void
validate_tokens(const struct topology *topo, struct problems *problems)
{
	int multi = topo->mode == MODE_MULTI_MASTER;
	size_t owners = multi ? topo->server_count : topo->shard_count;
	size_t i, k, n = 0, total = 0;
	struct owned_token *all;

	for (i = 0; i < owners; i++)
		total += multi ? topo->servers[i].token_count : topo->shards[i].token_count;
	all = xmalloc((total ? total : 1) * sizeof(*all));
	for (i = 0; i < owners; i++) {
		const uint64_t *t = multi ? topo->servers[i].tokens : topo->shards[i].tokens;
		size_t c = multi ? topo->servers[i].token_count : topo->shards[i].token_count;

		for (k = 0; k < c; k++) {
			all[n].token = t[k];
			all[n++].owner = (int)i;
		}
	}
	/* Stable, and filled in owner order: ties come out by owner, as before. */
	token_sort(all, n, sizeof(*all));
	for (i = 1; i < n; i++) {
		char text[TOKEN_TEXT_LEN + 1], p[64];

		if (all[i].token != all[i - 1].token)
			continue;
		token_format(all[i].token, text);
		snprintf(p, sizeof(p), "%s[%d].tokens", multi ? "servers" : "shards", all[i].owner);
		if (all[i].owner == all[i - 1].owner)
			ERR(p, "duplicate token \"%s\"", text);
		else
			ERR(p, "duplicate token \"%s\" (also %s[%d])", text,
			    multi ? "servers" : "shards", all[i - 1].owner);
	}
	free(all);
}

/*
 * servers[member[first[s]]] ... are shard s's servers, in server order:
 * one pass over the servers instead of one per shard.
 */
static size_t *
shard_members(const struct topology *topo, size_t **member_out)
{
	size_t *first = xcalloc(topo->shard_count + 1, sizeof(*first));
	size_t *next = xcalloc(topo->shard_count + 1, sizeof(*next));
	size_t *member = xcalloc(topo->server_count ? topo->server_count : 1, sizeof(*member));
	size_t i;

	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 &&
		    (size_t)topo->servers[i].shard < topo->shard_count)
			first[topo->servers[i].shard + 1]++;
	for (i = 0; i < topo->shard_count; i++)
		first[i + 1] += first[i];
	memcpy(next, first, topo->shard_count * sizeof(*next));
	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 &&
		    (size_t)topo->servers[i].shard < topo->shard_count)
			member[next[topo->servers[i].shard]++] = i;
	free(next);
	*member_out = member;
	return first;
}

static void
validate_shard_members(const struct topology *topo, size_t shard, const size_t *first,
    const size_t *member, struct problems *problems)
{
	const struct topology_shard *sh = &topo->shards[shard];
	size_t k, primaries = 0, active = 0;
	char p[64], names[256] = "";

	for (k = first[shard]; k < first[shard + 1]; k++) {
		const struct topology_server *s = &topo->servers[member[k]];

		if (s->role == ROLE_PRIMARY) {
			size_t used = strlen(names);

			snprintf(names + used, sizeof(names) - used, "%s\"%s\"",
			    primaries ? ", " : "", s->id);
			primaries++;
		}
		if ((s->role == ROLE_PRIMARY || s->role == ROLE_REPLICA) && s->state == SERVER_UP)
			active++;
	}
	snprintf(p, sizeof(p), "shards[%zu]", shard);
	if (primaries > 1)
		ERR(p, "shard \"%s\" has %zu primaries (%s): expected one", sh->id, primaries, names);
	if (primaries == 0 && sh->state == SHARD_ACTIVE && active > 0)
		ERR(p, "shard \"%s\" has replicas but no primary", sh->id);
	if (sh->state != SHARD_DOWN && active < (size_t)topo->replication_factor)
		WARN(p, "shard \"%s\" has %zu of the %d active servers its replication factor requires",
		    sh->id, active, topo->replication_factor);
}

static void
validate_server_roles(const struct topology *topo, struct problems *problems)
{
	size_t i;

	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];
		char p[64], pr[64];

		snprintf(p, sizeof(p), "servers[%zu]", i);
		snprintf(pr, sizeof(pr), "servers[%zu].role", i);
		if (topo->mode == MODE_MULTI_MASTER) {
			if (s->shard >= 0)
				ERR(p, "multi-master servers belong to no shard: remove \"shard\"");
			if (s->role != ROLE_NONE)
				ERR(pr, "multi-master servers have no role, found \"%s\"",
				    server_role_name(s->role));
			continue;
		}
		if (s->token_count > 0)
			ERR(p, "tokens belong to shards in %s mode, not to servers",
			    topology_mode_name(topo->mode));
		if ((s->role == ROLE_PRIMARY || s->role == ROLE_REPLICA) && s->shard < 0)
			ERR(pr, "a %s must belong to a shard", server_role_name(s->role));
		if (s->role == ROLE_NONE && s->shard >= 0)
			ERR(pr, "a server in shard \"%s\" needs a role (primary, replica or reserve)",
			    topo->shards[s->shard].id);
		if (topo->mode == MODE_NO_REPLICATION && s->shard >= 0 && s->role != ROLE_PRIMARY)
			ERR(pr, "no-replication shards have a primary only, found \"%s\"",
			    server_role_name(s->role));
	}
}

void
topology_validate(const struct topology *topo, struct problems *problems)
{
	size_t i, *first, *member;

	validate_ids(topo, problems);
	validate_conninfos(topo, problems);
	validate_tokens(topo, problems);
	validate_server_roles(topo, problems);
	if (topo->mode == MODE_NO_REPLICATION && topo->replication_factor != 1)
		ERR("replication_factor", "no-replication mode requires replication_factor 1, found %d",
		    topo->replication_factor);
	if (topo->mode == MODE_MULTI_MASTER) {
		if (topo->shard_count > 0)
			ERR("shards", "multi-master mode places servers on the ring: expected no shards");
		if (topo->server_count < (size_t)topo->replication_factor)
			WARN("servers", "%zu servers cannot hold %d distinct copies of each key",
			    topo->server_count, topo->replication_factor);
		return;
	}
	first = shard_members(topo, &member);
	for (i = 0; i < topo->shard_count; i++)
		validate_shard_members(topo, i, first, member, problems);
	free(first);
	free(member);
}

/* ---- writing the document ---------------------------------------------- */

static json_t *
tokens_json(const uint64_t *tokens, size_t count)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < count; i++) {
		char text[TOKEN_TEXT_LEN + 1];

		token_format(tokens[i], text);
		json_array_append_new(arr, json_string(text));
	}
	return arr;
}

json_t *
topology_server_json(const struct topology *topo, size_t index)
{
	const struct topology_server *s = &topo->servers[index];
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "conninfo", json_string(s->conninfo));
	if (s->zone[0] != '\0')
		json_object_set_new(o, "zone", json_string(s->zone));
	json_object_set_new(o, "state", json_string(server_state_name(s->state)));
	if (s->role != ROLE_NONE)
		json_object_set_new(o, "role", json_string(server_role_name(s->role)));
	if (s->shard >= 0)
		json_object_set_new(o, "shard", json_string(topo->shards[s->shard].id));
	if (s->data_directory != NULL)
		json_object_set_new(o, "data_directory", json_string(s->data_directory));
	if (s->token_count > 0)
		json_object_set_new(o, "tokens", tokens_json(s->tokens, s->token_count));
	return o;
}

json_t *
topology_to_json(const struct topology *topo)
{
	json_t *doc = json_object(), *hash = json_object();
	json_t *tables = json_array(), *servers = json_array(), *shards = json_array();
	size_t i;

	json_object_set_new(doc, "format", json_string(TOPOLOGY_FORMAT));
	json_object_set_new(doc, "version", json_integer(topo->version));
	json_object_set_new(doc, "mode", json_string(topology_mode_name(topo->mode)));
	json_object_set_new(doc, "replication_factor", json_integer(topo->replication_factor));
	json_object_set_new(doc, "vnodes", json_integer(topo->vnodes));
	json_object_set_new(hash, "algorithm", json_string(HASH_ALGORITHM));
	json_object_set_new(hash, "seed", json_integer((json_int_t)topo->hash_seed));
	json_object_set_new(doc, "hash", hash);
	for (i = 0; i < topo->table_count; i++)
		json_array_append_new(tables, json_pack("{s:s, s:s}",
		    "name", topo->tables[i].name, "key", topo->tables[i].key));
	json_object_set_new(doc, "tables", tables);
	for (i = 0; i < topo->server_count; i++)
		json_array_append_new(servers, topology_server_json(topo, i));
	json_object_set_new(doc, "servers", servers);
	for (i = 0; i < topo->shard_count; i++) {
		const struct topology_shard *sh = &topo->shards[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string(sh->id));
		json_object_set_new(o, "state", json_string(shard_state_name(sh->state)));
		json_object_set_new(o, "tokens", tokens_json(sh->tokens, sh->token_count));
		json_array_append_new(shards, o);
	}
	json_object_set_new(doc, "shards", shards);
	json_object_set_new(doc, "migrations",
	    topo->migrations != NULL ? json_deep_copy(topo->migrations) : json_array());
	return doc;
}

/* ---- load and save ----------------------------------------------------- */

const char *
topology_default_location(void)
{
	const char *env = getenv("SHARDKIT_TOPOLOGY");

	return env != NULL && *env != '\0' ? env : "-";
}

int
topology_load_json(const json_t *doc, const char *source, struct topology *topo)
{
	struct problems problems = { 0 };
	int rc;

	rc = topology_from_json(doc, topo, &problems);
	problems_report(&problems, source, 0);
	problems_free(&problems);
	return rc == 0 ? 0 : EXIT_STATUS_INPUT;
}

int
topology_load(const char *location, struct topology *topo)
{
	const char *source = json_document_source(location);
	json_t *doc;
	int rc;

	memset(topo, 0, sizeof(*topo));
	rc = json_document_load(location, &doc);
	if (rc != 0)
		return rc;
	rc = topology_load_json(doc, source, topo);
	json_decref(doc);
	return rc;
}

/* The version stored at path: 1 and *version set, 0 if no file, -1 on error. */
static int
stored_version(const char *path, int64_t *version)
{
	json_error_t err;
	json_t *doc, *v;

	if (access(path, F_OK) != 0)
		return 0;
	doc = json_load_file(path, 0, &err);
	if (doc == NULL) {
		error_report("%s:%d:%d: %s", path, err.line, err.column, err.text);
		return -1;
	}
	v = json_object_get(doc, "version");
	if (!json_is_integer(v)) {
		error_report("%s: version: expected an integer", path);
		json_decref(doc);
		return -1;
	}
	*version = json_integer_value(v);
	json_decref(doc);
	return 1;
}

int
topology_save(const struct topology *topo, const char *location, int64_t expected_version)
{
	json_t *doc = topology_to_json(topo);
	char *lockpath;
	int64_t current = -1;
	int fd, found, rc = 0;

	if (strcmp(location, "-") == 0) {
		rc = json_document_print(doc, stdout) == 0 ? 0 : EXIT_STATUS_FAILURE;
		json_decref(doc);
		return rc;
	}
	/*
	 * The lock serialises writers on this host; the version check makes a
	 * writer that read an older document fail instead of overwriting a
	 * newer one (compare-and-swap, as an etcd transaction will later).
	 */
	lockpath = xmalloc(strlen(location) + 6);
	sprintf(lockpath, "%s.lock", location);
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		error_report("could not lock \"%s\": %s", lockpath, strerror(errno));
		rc = EXIT_STATUS_FAILURE;
		goto out;
	}
	found = stored_version(location, &current);
	if (found < 0) {
		rc = EXIT_STATUS_INPUT;
	} else if ((found == 0 && expected_version != -1) ||
	    (found == 1 && current != expected_version)) {
		error_report("topology \"%s\" changed under us: expected version %lld, found %s%lld",
		    location, (long long)expected_version, found ? "" : "no file, ",
		    (long long)current);
		error_hint("reload the topology and redo the change");
		rc = EXIT_STATUS_CONFLICT;
	} else if (json_document_save(doc, location, 0644) != 0) {
		rc = EXIT_STATUS_FAILURE;
	}
out:
	if (fd >= 0)
		close(fd);
	free(lockpath);
	json_decref(doc);
	return rc;
}

/* ---- the model --------------------------------------------------------- */

void
topology_free(struct topology *topo)
{
	size_t i;

	for (i = 0; i < topo->table_count; i++) {
		free(topo->tables[i].name);
		free(topo->tables[i].key);
	}
	for (i = 0; i < topo->server_count; i++) {
		struct topology_server *s = &topo->servers[i];

		free(s->id);
		free(s->conninfo);
		free(s->zone);
		free(s->data_directory);
		free(s->tokens);
	}
	for (i = 0; i < topo->shard_count; i++) {
		free(topo->shards[i].id);
		free(topo->shards[i].tokens);
	}
	free(topo->tables);
	free(topo->servers);
	free(topo->shards);
	json_decref(topo->migrations);
	memset(topo, 0, sizeof(*topo));
}

static uint64_t *
copy_tokens(const uint64_t *tokens, size_t count)
{
	uint64_t *copy = xcalloc(count, sizeof(uint64_t));

	if (count > 0)
		memcpy(copy, tokens, count * sizeof(uint64_t));
	return copy;
}

void
topology_copy(struct topology *dst, const struct topology *src)
{
	size_t i;

	*dst = *src;
	dst->tables = xcalloc(src->table_count, sizeof(*dst->tables));
	dst->servers = xcalloc(src->server_count, sizeof(*dst->servers));
	dst->shards = xcalloc(src->shard_count, sizeof(*dst->shards));
	for (i = 0; i < src->table_count; i++) {
		dst->tables[i].name = xstrdup(src->tables[i].name);
		dst->tables[i].key = xstrdup(src->tables[i].key);
	}
	for (i = 0; i < src->server_count; i++) {
		const struct topology_server *s = &src->servers[i];
		struct topology_server *d = &dst->servers[i];

		*d = *s;
		d->id = xstrdup(s->id);
		d->conninfo = xstrdup(s->conninfo);
		d->zone = xstrdup(s->zone);
		d->data_directory = s->data_directory ? xstrdup(s->data_directory) : NULL;
		d->tokens = copy_tokens(s->tokens, s->token_count);
	}
	for (i = 0; i < src->shard_count; i++) {
		dst->shards[i] = src->shards[i];
		dst->shards[i].id = xstrdup(src->shards[i].id);
		dst->shards[i].tokens = copy_tokens(src->shards[i].tokens, src->shards[i].token_count);
	}
	dst->migrations = src->migrations ? json_deep_copy(src->migrations) : json_array();
}

int
topology_find_server(const struct topology *topo, const char *id)
{
	size_t i;

	for (i = 0; i < topo->server_count; i++)
		if (strcmp(topo->servers[i].id, id) == 0)
			return (int)i;
	return -1;
}

int
topology_find_shard(const struct topology *topo, const char *id)
{
	size_t i;

	for (i = 0; i < topo->shard_count; i++)
		if (strcmp(topo->shards[i].id, id) == 0)
			return (int)i;
	return -1;
}

int
topology_shard_primary(const struct topology *topo, int shard)
{
	size_t i;

	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard == shard && topo->servers[i].role == ROLE_PRIMARY)
			return (int)i;
	return -1;
}

int
topology_add_shard(struct topology *topo, const char *id, enum shard_state state)
{
	struct topology_shard *sh;

	topo->shards = xreallocarray(topo->shards, topo->shard_count + 1, sizeof(*sh));
	sh = &topo->shards[topo->shard_count];
	memset(sh, 0, sizeof(*sh));
	sh->id = xstrdup(id);
	sh->state = state;
	return (int)topo->shard_count++;
}

int
topology_add_server(struct topology *topo, const char *id, const char *conninfo,
    const char *zone)
{
	struct topology_server *s;

	topo->servers = xreallocarray(topo->servers, topo->server_count + 1, sizeof(*s));
	s = &topo->servers[topo->server_count];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	s->conninfo = xstrdup(conninfo);
	s->zone = xstrdup(zone != NULL ? zone : "");
	s->state = SERVER_UP;
	s->role = ROLE_NONE;
	s->shard = -1;
	return (int)topo->server_count++;
}

void
topology_remove_shard(struct topology *topo, int shard)
{
	size_t i;

	free(topo->shards[shard].id);
	free(topo->shards[shard].tokens);
	memmove(&topo->shards[shard], &topo->shards[shard + 1],
	    (topo->shard_count - (size_t)shard - 1) * sizeof(topo->shards[0]));
	topo->shard_count--;
	for (i = 0; i < topo->server_count; i++) {
		if (topo->servers[i].shard == shard)
			topo->servers[i].shard = -1;
		else if (topo->servers[i].shard > shard)
			topo->servers[i].shard--;
	}
}
