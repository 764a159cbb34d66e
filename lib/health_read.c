/* health_read.c -- a health document read back: the orchestrator's view of a sweep
 *
 * The checks are those of topology.c in miniature: every problem is listed
 * with its JSON path, none stops the reading early, and a document with any
 * problem yields no model at all, so a planner can never act on half of one.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "health.h"
#include "health_read.h"
#include "json.h"
#include "probe.h"
#include "topology.h"

#define ERR(path, ...) problems_add(problems, PROBLEM_ERROR, path, __VA_ARGS__)

/* A string member: its value; NULL when null, absent (maybe a problem) or mistyped. */
static const char *
member_string(const json_t *obj, const char *path, const char *key, int required,
    struct problems *problems)
{
	json_t *v = json_object_get(obj, key);
	char p[128];

	snprintf(p, sizeof(p), "%s%s%s", path, *path ? "." : "", key);
	if (v == NULL || json_is_null(v)) {
		if (required)
			ERR(p, v == NULL ? "missing required field" : "expected a string, found null");
		return NULL;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		ERR(p, "expected a string, found %s", json_is_string(v) ? "a NUL byte" : json_type_name(v));
		return NULL;
	}
	return json_string_value(v);
}

static uint64_t
member_lsn(const json_t *obj, const char *path, const char *key, struct problems *problems)
{
	const char *text = member_string(obj, path, key, 0, problems);
	uint64_t lsn = 0;
	char p[128];

	if (text != NULL && probe_lsn_parse(text, &lsn) != 0) {
		snprintf(p, sizeof(p), "%s.%s", path, key);
		ERR(p, "expected an LSN such as \"0/3000148\", found \"%s\"", text);
		return 0;
	}
	return lsn;
}

/* An optional boolean member: 1 or 0, or -1 when null or absent. */
static int
member_bool(const json_t *obj, const char *path, const char *key, struct problems *problems)
{
	json_t *v = json_object_get(obj, key);
	char p[128];

	if (v == NULL || json_is_null(v))
		return -1;
	if (!json_is_boolean(v)) {
		snprintf(p, sizeof(p), "%s.%s", path, key);
		ERR(p, "expected a boolean or null, found %s", json_type_name(v));
		return -1;
	}
	return json_is_true(v);
}

static enum health_role
member_role(const json_t *obj, const char *path, struct problems *problems)
{
	const char *role = member_string(obj, path, "observed_role", 0, problems);
	char p[128];

	if (role == NULL)
		return HEALTH_ROLE_UNKNOWN;
	if (strcmp(role, "primary") == 0)
		return HEALTH_ROLE_PRIMARY;
	if (strcmp(role, "replica") == 0)
		return HEALTH_ROLE_REPLICA;
	snprintf(p, sizeof(p), "%s.observed_role", path);
	ERR(p, "expected \"primary\", \"replica\" or null, found \"%s\"", role);
	return HEALTH_ROLE_UNKNOWN;
}

static void
read_server(const json_t *s, const char *p, struct health_doc *doc, struct problems *problems)
{
	struct health_observation *o = &doc->servers[doc->count];
	json_t *reachable = json_object_get(s, "reachable");
	const char *id, *error;
	char rp[128];
	size_t i;

	id = member_string(s, p, "id", 1, problems);
	error = member_string(s, p, "error", 0, problems);
	snprintf(rp, sizeof(rp), "%s.reachable", p);
	if (reachable == NULL)
		ERR(rp, "missing required field");
	else if (!json_is_boolean(reachable))
		ERR(rp, "expected a boolean, found %s", json_type_name(reachable));
	o->observed = member_role(s, p, problems);
	o->current_lsn = member_lsn(s, p, "current_lsn", problems);
	o->received_lsn = member_lsn(s, p, "received_lsn", problems);
	o->replayed_lsn = member_lsn(s, p, "replayed_lsn", problems);
	o->read_only = member_bool(s, p, "read_only", problems);
	if (id == NULL || !json_is_boolean(reachable))
		return;
	snprintf(rp, sizeof(rp), "%s.id", p);
	if (!topology_id_valid(id)) {
		ERR(rp, "invalid id \"%s\"", id);
		return;
	}
	for (i = 0; i < doc->count; i++)
		if (strcmp(doc->servers[i].id, id) == 0) {
			ERR(rp, "duplicate server id \"%s\" (also servers[%zu])", id, i);
			return;
		}
	o->id = xstrdup(id);
	o->reachable = json_is_true(reachable);
	o->error = error != NULL ? xstrdup(error) : NULL;
	doc->count++;
}

static void
read_servers(const json_t *json, struct health_doc *doc, struct problems *problems)
{
	json_t *arr = json_object_get(json, "servers");
	size_t i;

	if (arr == NULL) {
		ERR("servers", "missing required field");
		return;
	}
	if (!json_is_array(arr)) {
		ERR("servers", "expected an array, found %s", json_type_name(arr));
		return;
	}
	doc->servers = xcalloc(json_array_size(arr) + 1, sizeof(*doc->servers));
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);
		char p[64];

		snprintf(p, sizeof(p), "servers[%zu]", i);
		if (!json_is_object(s))
			ERR(p, "expected an object, found %s", json_type_name(s));
		else
			read_server(s, p, doc, problems);
	}
}

int
health_doc_from_json(const json_t *json, struct health_doc *doc, struct problems *problems)
{
	size_t errors_before = problems_count(problems, PROBLEM_ERROR);
	const char *format, *probed_at;
	json_t *version;

	memset(doc, 0, sizeof(*doc));
	if (!json_is_object(json)) {
		ERR("$", "expected a JSON object");
		return -1;
	}
	format = member_string(json, "", "format", 1, problems);
	if (format != NULL && strcmp(format, HEALTH_FORMAT) != 0)
		ERR("format", "expected \"%s\", found \"%s\"", HEALTH_FORMAT, format);
	version = json_object_get(json, "topology_version");
	if (version == NULL)
		ERR("topology_version", "missing required field");
	else if (!json_is_integer(version) || json_integer_value(version) < 0)
		ERR("topology_version", "expected an integer from 0, found %s",
		    json_is_integer(version) ? "a negative one" : json_type_name(version));
	else
		doc->topology_version = json_integer_value(version);
	probed_at = member_string(json, "", "probed_at", 1, problems);
	doc->probed_at = xstrdup(probed_at != NULL ? probed_at : "");
	read_servers(json, doc, problems);
	if (problems_count(problems, PROBLEM_ERROR) != errors_before) {
		health_doc_free(doc);
		return -1;
	}
	return 0;
}

int
health_doc_load(const char *location, struct health_doc *doc)
{
	struct problems problems = { 0 };
	json_t *json;
	int rc;

	memset(doc, 0, sizeof(*doc));
	rc = json_document_load(location, &json);
	if (rc != 0)
		return rc;
	rc = health_doc_from_json(json, doc, &problems);
	problems_report(&problems, json_document_source(location), 0);
	problems_free(&problems);
	json_decref(json);
	return rc == 0 ? 0 : EXIT_STATUS_INPUT;
}

const struct health_observation *
health_doc_find(const struct health_doc *doc, const char *id)
{
	size_t i;

	for (i = 0; i < doc->count; i++)
		if (strcmp(doc->servers[i].id, id) == 0)
			return &doc->servers[i];
	return NULL;
}

void
health_doc_free(struct health_doc *doc)
{
	size_t i;

	for (i = 0; i < doc->count; i++) {
		free(doc->servers[i].id);
		free(doc->servers[i].error);
	}
	free(doc->servers);
	free(doc->probed_at);
	memset(doc, 0, sizeof(*doc));
}
