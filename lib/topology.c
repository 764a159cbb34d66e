/* topology.c -- the cluster's shared configuration: model, names, load, save
 *
 * Loading is two passes over one problem list: topology_read.c checks the
 * document's shape while building the model, topology_rules.c the rules
 * that span objects.  This file holds what both stand on (the names of
 * modes, states and roles, the problem list) and the model's life cycle:
 * writing it back as JSON, loading and saving with compare-and-swap,
 * copying, lookups and edits.
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
#include "topology_private.h"

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

const struct name_table TOPOLOGY_MODES = { mode_names, COUNT(mode_names) };
const struct name_table SERVER_STATES = { server_state_names, COUNT(server_state_names) };
const struct name_table SERVER_ROLES = { role_names, COUNT(role_names) };
const struct name_table SHARD_STATES = { shard_state_names, COUNT(shard_state_names) };

int
name_table_parse(const struct name_table *table, const char *name)
{
	size_t i;

	for (i = 0; i < table->count; i++)
		if (strcmp(table->names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
name_table_list(const struct name_table *table, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < table->count && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"",
		    i == 0 ? "" : (i + 1 == table->count ? " or " : ", "), table->names[i]);
	return buf;
}

const char *topology_mode_name(enum topology_mode m) { return mode_names[m]; }
int topology_mode_parse(const char *n) { return name_table_parse(&TOPOLOGY_MODES, n); }
const char *server_state_name(enum server_state s) { return server_state_names[s]; }
int server_state_parse(const char *n) { return name_table_parse(&SERVER_STATES, n); }
const char *server_role_name(enum server_role r) { return role_names[r]; }
int server_role_parse(const char *n) { return name_table_parse(&SERVER_ROLES, n); }
const char *shard_state_name(enum shard_state s) { return shard_state_names[s]; }
int shard_state_parse(const char *n) { return name_table_parse(&SHARD_STATES, n); }

const char *
topology_mode_names(void)
{
	static char buf[128];

	return name_table_list(&TOPOLOGY_MODES, buf, sizeof(buf));
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
