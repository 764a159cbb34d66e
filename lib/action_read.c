/* action_read.c -- a shardkit-actions/1 document read back: the executor's side
 *
 * orchestrate_plan_json (orchestrate_json.c) writes a plan; this reads it
 * back into the same struct action values, ids looked up in the topology
 * the plan was made from.  As in topology.c and health_read.c, every
 * problem is listed with its JSON path, none stops the reading early, and
 * a document with any problem yields no actions at all: an executor must
 * never carry out the first half of a plan it could not read whole.
 *
 * What a kind needs is one table (kinds[] below, the "Kinds" section of
 * man/shardkit-actions.5).  Members a kind does not use are ignored, like
 * members unknown to this reader, so a later writer may add members freely;
 * but a member a kind uses is checked, so nothing the executor acts on is
 * ever guessed.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "json.h"
#include "orchestrate.h"
#include "probe.h"
#include "topology.h"

#define ERR(path, ...) problems_add(r->problems, PROBLEM_ERROR, path, __VA_ARGS__)

/* The members of an action that depend on its kind. */
enum member {
	M_SERVER = 1 << 0,
	M_SHARD = 1 << 1,
	M_PRIMARY = 1 << 2,
	M_OLD_PRIMARY = 1 << 3,
	M_LSN = 1 << 4,
	M_ROLE = 1 << 5,
	M_SEVERITY = 1 << 6,
	M_SHARD_DOWN = 1 << 7,
	M_DATA_LOSS = 1 << 8,
	M_SERVERS_NEEDED = 1 << 9,
};

static const struct {
	unsigned required, optional;
} kinds[] = {
	[ACTION_FENCE] = { M_SERVER | M_SHARD, 0 },
	[ACTION_PROMOTE] = { M_SERVER | M_SHARD | M_OLD_PRIMARY | M_LSN, 0 },
	[ACTION_REPOINT] = { M_SERVER | M_SHARD | M_PRIMARY, 0 },
	[ACTION_MARK_DOWN] = { M_SERVER, M_SHARD | M_SHARD_DOWN | M_DATA_LOSS },
	[ACTION_MARK_ACTIVE] = { M_SERVER | M_SHARD, 0 },
	[ACTION_DETACH] = { M_SERVER | M_SHARD, 0 },
	[ACTION_WIPE] = { M_SERVER, M_SHARD },
	[ACTION_CLONE] = { M_SERVER | M_SHARD | M_PRIMARY | M_ROLE, 0 },
	[ACTION_ACTIVATE_RESERVE] = { M_SERVER | M_SHARD, 0 },
	[ACTION_ALERT] = { M_SEVERITY, M_SERVER | M_SHARD | M_DATA_LOSS | M_SERVERS_NEEDED },
};

#define KIND_COUNT (sizeof(kinds) / sizeof(kinds[0]))

/* One action being read: where it is, and which members its kind uses. */
struct reader {
	const struct topology *topo;
	struct problems *problems;
	const json_t *obj;
	char path[48];          /* "actions[3]" */
	unsigned required, used;
};

static void
member_path(const struct reader *r, const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s.%s", r->path, key);
}

/*
 * The member key when the kind uses it (bit), else NULL; a missing
 * required member is reported.
 */
static json_t *
member(struct reader *r, const char *key, unsigned bit)
{
	json_t *v;
	char p[96];

	if (!(r->used & bit))
		return NULL;
	v = json_object_get(r->obj, key);
	if (v == NULL && (r->required & bit)) {
		member_path(r, key, p, sizeof(p));
		ERR(p, "missing required field");
	}
	return v;
}

/* A string value (no NUL inside), or NULL after reporting. */
static const char *
string_value(struct reader *r, const char *key, const json_t *v)
{
	char p[96];

	if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
		return json_string_value(v);
	member_path(r, key, p, sizeof(p));
	ERR(p, "expected a string, found %s", json_is_string(v) ? "a NUL byte" : json_type_name(v));
	return NULL;
}

/*
 * A server (find = topology_find_server) or shard id member: its index in
 * the topology, -1 when absent or after reporting a problem.
 */
static int
member_ref(struct reader *r, const char *key, unsigned bit, const char *what,
    int (*find)(const struct topology *, const char *))
{
	json_t *v = member(r, key, bit);
	const char *id;
	char p[96];
	int i;

	if (v == NULL || (id = string_value(r, key, v)) == NULL)
		return -1;
	if ((i = find(r->topo, id)) < 0) {
		member_path(r, key, p, sizeof(p));
		ERR(p, "unknown %s \"%.64s\"", what, id);
	}
	return i;
}

static int
member_bool(struct reader *r, const char *key, unsigned bit)
{
	json_t *v = member(r, key, bit);
	char p[96];

	if (v == NULL || json_is_boolean(v))
		return json_is_true(v);
	member_path(r, key, p, sizeof(p));
	ERR(p, "expected a boolean, found %s", json_type_name(v));
	return 0;
}

/* promote's lsn: "0/3000148", or null when the planner did not know it. */
static uint64_t
member_lsn(struct reader *r)
{
	json_t *v = member(r, "lsn", M_LSN);
	const char *text;
	uint64_t lsn = 0;
	char p[96];

	if (v == NULL || json_is_null(v) || (text = string_value(r, "lsn", v)) == NULL)
		return 0;
	if (probe_lsn_parse(text, &lsn) != 0) {
		member_path(r, "lsn", p, sizeof(p));
		ERR(p, "expected an LSN such as \"0/3000148\" or null, found \"%.64s\"", text);
		return 0;
	}
	return lsn;
}

static enum alert_severity
member_severity(struct reader *r)
{
	json_t *v = member(r, "severity", M_SEVERITY);
	const char *text;
	char p[96];

	if (v == NULL || (text = string_value(r, "severity", v)) == NULL)
		return ALERT_NONE;
	if (strcmp(text, "warning") == 0)
		return ALERT_WARNING;
	if (strcmp(text, "critical") == 0)
		return ALERT_CRITICAL;
	member_path(r, "severity", p, sizeof(p));
	ERR(p, "expected \"warning\" or \"critical\", found \"%.64s\"", text);
	return ALERT_NONE;
}

static int64_t
member_servers_needed(struct reader *r)
{
	json_t *v = member(r, "servers_needed", M_SERVERS_NEEDED);
	char p[96];

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return json_integer_value(v);
	member_path(r, "servers_needed", p, sizeof(p));
	ERR(p, "expected an integer from 0, found %s",
	    json_is_integer(v) ? "a negative one" : json_type_name(v));
	return 0;
}

/* clone's role: the only role a clone is made as is reserve. */
static void
member_role(struct reader *r)
{
	json_t *v = member(r, "role", M_ROLE);
	const char *text;
	char p[96];

	if (v == NULL || (text = string_value(r, "role", v)) == NULL)
		return;
	if (strcmp(text, "reserve") != 0) {
		member_path(r, "role", p, sizeof(p));
		ERR(p, "expected \"reserve\", found \"%.64s\"", text);
	}
}

/* "a<n>" with n from 1, no leading zero: its index n - 1; else -1. */
static int
id_index(const char *id, size_t *index)
{
	unsigned long long n;
	char *end;

	/* At most 19 digits: any such number fits in 64 bits. */
	if (id[0] != 'a' || id[1] < '1' || id[1] > '9' || strlen(id) > 20)
		return -1;
	errno = 0;
	n = strtoull(id + 1, &end, 10);
	if (errno != 0 || *end != '\0' || (size_t)n != n)
		return -1;
	*index = (size_t)(n - 1);
	return 0;
}

/* The id: ids are a1, a2, ... by position, so after can name them by index. */
static void
read_id(struct reader *r, size_t index)
{
	json_t *v = json_object_get(r->obj, "id");
	const char *id;
	size_t other;
	char p[96];

	member_path(r, "id", p, sizeof(p));
	if (v == NULL) {
		ERR(p, "missing required field");
		return;
	}
	if ((id = string_value(r, "id", v)) == NULL)
		return;
	if (id_index(id, &other) == 0 && other == index)
		return;
	if (id_index(id, &other) == 0 && other < index)
		ERR(p, "duplicate id \"%s\" (also actions[%zu])", id, other);
	else
		ERR(p, "expected \"a%zu\" (ids are a1, a2, ... in order), found \"%.64s\"",
		    index + 1, id);
}

static void
read_after_entry(struct reader *r, const json_t *v, size_t k, size_t index, struct action *a)
{
	const char *id = json_string_value(v);
	size_t other, i;
	char p[96];

	snprintf(p, sizeof(p), "%s.after[%zu]", r->path, k);
	if (!json_is_string(v) || strlen(id) != json_string_length(v)) {
		ERR(p, "expected an action id, found %s",
		    json_is_string(v) ? "a NUL byte" : json_type_name(v));
		return;
	}
	if (id_index(id, &other) != 0) {
		ERR(p, "unknown action id \"%.64s\"", id);
		return;
	}
	if (other >= index) {
		ERR(p, "\"%s\" is not an earlier action: an action waits only for earlier ones", id);
		return;
	}
	for (i = 0; i < a->after_count; i++)
		if (a->after[i] == other) {
			ERR(p, "\"%s\" is listed twice", id);
			return;
		}
	a->after[a->after_count++] = other;
}

static void
read_after(struct reader *r, size_t index, struct action *a)
{
	json_t *v = json_object_get(r->obj, "after");
	char p[96];
	size_t k;

	member_path(r, "after", p, sizeof(p));
	if (v == NULL) {
		ERR(p, "missing required field");
		return;
	}
	if (!json_is_array(v)) {
		ERR(p, "expected an array of action ids, found %s", json_type_name(v));
		return;
	}
	if (json_array_size(v) > ORCHESTRATE_MAX_AFTER) {
		ERR(p, "expected at most %d action ids, found %zu", ORCHESTRATE_MAX_AFTER,
		    json_array_size(v));
		return;
	}
	for (k = 0; k < json_array_size(v); k++)
		read_after_entry(r, json_array_get(v, k), k, index, a);
}

/* The kind, which says what else to read; -1 after reporting. */
static int
read_kind(struct reader *r)
{
	json_t *v = json_object_get(r->obj, "kind");
	const char *name;
	char p[96];
	size_t k;

	member_path(r, "kind", p, sizeof(p));
	if (v == NULL) {
		ERR(p, "missing required field");
		return -1;
	}
	if ((name = string_value(r, "kind", v)) == NULL)
		return -1;
	for (k = 0; k < KIND_COUNT; k++)
		if (strcmp(name, action_kind_name((enum action_kind)k)) == 0)
			return (int)k;
	ERR(p, "unknown kind \"%.64s\"", name);
	return -1;
}

static void
read_reason(struct reader *r, struct action *a)
{
	json_t *v = json_object_get(r->obj, "reason");
	const char *reason;
	char p[96];

	if (v == NULL) {
		member_path(r, "reason", p, sizeof(p));
		ERR(p, "missing required field");
	} else if ((reason = string_value(r, "reason", v)) != NULL) {
		a->reason = xstrdup(reason);
	}
}

static void
read_action(struct reader *r, size_t index, struct action *a)
{
	int kind = read_kind(r);
	char p[96];

	memset(a, 0, sizeof(*a));
	a->server = a->shard = a->primary = -1;
	read_id(r, index);
	read_after(r, index, a);
	read_reason(r, a);
	if (kind < 0)
		return;
	a->kind = (enum action_kind)kind;
	r->required = kinds[kind].required;
	r->used = kinds[kind].required | kinds[kind].optional;
	a->server = member_ref(r, "server", M_SERVER, "server", topology_find_server);
	a->shard = member_ref(r, "shard", M_SHARD, "shard", topology_find_shard);
	if (a->kind == ACTION_PROMOTE)
		a->primary = member_ref(r, "old_primary", M_OLD_PRIMARY, "server",
		    topology_find_server);
	else
		a->primary = member_ref(r, "primary", M_PRIMARY, "server", topology_find_server);
	a->lsn = member_lsn(r);
	member_role(r);
	a->severity = member_severity(r);
	a->shard_down = member_bool(r, "shard_down", M_SHARD_DOWN);
	a->data_loss = member_bool(r, "data_loss", M_DATA_LOSS);
	a->servers_needed = member_servers_needed(r);
	/* Marking a shard down needs the shard: action_effect writes it. */
	if (a->shard_down && json_object_get(r->obj, "shard") == NULL) {
		member_path(r, "shard_down", p, sizeof(p));
		ERR(p, "a shard marked down needs the member shard");
	}
}

static void
read_actions(const json_t *arr, const struct topology *topo, struct action_list *list,
    struct problems *problems)
{
	struct reader rd = { .topo = topo, .problems = problems }, *r = &rd;
	size_t i;

	if (arr == NULL) {
		ERR("actions", "missing required field");
		return;
	}
	if (!json_is_array(arr)) {
		ERR("actions", "expected an array, found %s", json_type_name(arr));
		return;
	}
	list->actions = xcalloc(json_array_size(arr) + 1, sizeof(*list->actions));
	for (i = 0; i < json_array_size(arr); i++) {
		rd.obj = json_array_get(arr, i);
		snprintf(rd.path, sizeof(rd.path), "actions[%zu]", i);
		/* Counted first, so action_list_free frees whatever was read. */
		list->count++;
		if (!json_is_object(rd.obj)) {
			ERR(rd.path, "expected an object, found %s", json_type_name(rd.obj));
			continue;
		}
		read_action(&rd, i, &list->actions[i]);
	}
}

int
actions_from_json(const json_t *doc, const struct topology *topo, struct action_list *list,
    struct problems *problems)
{
	size_t errors_before = problems_count(problems, PROBLEM_ERROR);
	struct reader rd = { .problems = problems }, *r = &rd;
	json_t *format, *version, *probed_at;

	memset(list, 0, sizeof(*list));
	if (!json_is_object(doc)) {
		ERR("$", "expected a JSON object");
		return -1;
	}
	format = json_object_get(doc, "format");
	if (format == NULL)
		ERR("format", "missing required field");
	else if (!json_is_string(format) || strcmp(json_string_value(format), ACTIONS_FORMAT) != 0)
		ERR("format", "expected \"%s\"", ACTIONS_FORMAT);
	version = json_object_get(doc, "topology_version");
	if (version == NULL)
		ERR("topology_version", "missing required field");
	else if (!json_is_integer(version) || json_integer_value(version) < 0)
		ERR("topology_version", "expected an integer from 0, found %s",
		    json_is_integer(version) ? "a negative one" : json_type_name(version));
	else
		list->topology_version = json_integer_value(version);
	probed_at = json_object_get(doc, "health_probed_at");
	if (probed_at == NULL)
		ERR("health_probed_at", "missing required field");
	else if (json_is_string(probed_at) &&
	    strlen(json_string_value(probed_at)) == json_string_length(probed_at))
		list->health_probed_at = xstrdup(json_string_value(probed_at));
	else
		ERR("health_probed_at", "expected a string, found %s",
		    json_is_string(probed_at) ? "a NUL byte" : json_type_name(probed_at));
	read_actions(json_object_get(doc, "actions"), topo, list, problems);
	if (problems_count(problems, PROBLEM_ERROR) != errors_before) {
		action_list_free(list);
		return -1;
	}
	return 0;
}

int
actions_load(const char *location, const struct topology *topo, struct action_list *list)
{
	struct problems problems = { 0 };
	json_t *doc;
	int rc;

	memset(list, 0, sizeof(*list));
	rc = json_document_load(location, &doc);
	if (rc != 0)
		return rc;
	rc = actions_from_json(doc, topo, list, &problems);
	problems_report(&problems, json_document_source(location), 0);
	problems_free(&problems);
	json_decref(doc);
	return rc == 0 ? 0 : EXIT_STATUS_INPUT;
}

void
action_list_free(struct action_list *list)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		free(list->actions[i].reason);
	free(list->actions);
	free(list->health_probed_at);
	memset(list, 0, sizeof(*list));
}
