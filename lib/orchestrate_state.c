/* orchestrate_state.c -- consecutive failed probes, carried between orchestrate runs
 *
 * "Unreachable for the failure threshold" spans several sweeps, while each
 * orchestrate run sees one.  The counts live in a small document written
 * atomically (file.h), so a crash leaves the old counts or the new ones,
 * never a torn file.  The sweep's probed_at is kept beside them: reading the
 * same health document twice (a retried cron job) must not turn one failed
 * probe into two.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "error.h"
#include "health_read.h"
#include "json.h"
#include "orchestrate.h"
#include "topology.h"

#define ERR(path, ...) problems_add(problems, PROBLEM_ERROR, path, __VA_ARGS__)

/* Counts stop here: a server down for years must not overflow. */
#define FAILURES_MAX 1000000000

static void
state_add(struct failure_state *state, const char *id, int64_t failures)
{
	state->ids = xreallocarray(state->ids, state->count + 1, sizeof(*state->ids));
	state->failures = xreallocarray(state->failures, state->count + 1,
	    sizeof(*state->failures));
	state->ids[state->count] = xstrdup(id);
	state->failures[state->count++] = failures;
}

static void
read_failures(const json_t *obj, struct failure_state *state, struct problems *problems)
{
	const char *id;
	json_t *v;

	json_object_foreach((json_t *)obj, id, v) {
		char p[128];

		snprintf(p, sizeof(p), "failures.%s", id);
		if (!topology_id_valid(id))
			ERR(p, "invalid server id");
		else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > FAILURES_MAX)
			ERR(p, "expected an integer from 0 to %d", FAILURES_MAX);
		else
			state_add(state, id, json_integer_value(v));
	}
}

int
failure_state_from_json(const json_t *json, struct failure_state *state,
    struct problems *problems)
{
	size_t errors_before = problems_count(problems, PROBLEM_ERROR);
	json_t *format, *probed_at, *failures;

	memset(state, 0, sizeof(*state));
	format = json_object_get(json, "format");
	probed_at = json_object_get(json, "probed_at");
	failures = json_object_get(json, "failures");
	if (!json_is_string(format) || strcmp(json_string_value(format), FAILURE_STATE_FORMAT) != 0)
		ERR("format", "expected \"%s\"", FAILURE_STATE_FORMAT);
	if (probed_at != NULL && !json_is_null(probed_at) && !json_is_string(probed_at))
		ERR("probed_at", "expected a string or null");
	else if (json_is_string(probed_at))
		state->probed_at = xstrdup(json_string_value(probed_at));
	if (failures == NULL || !json_is_object(failures))
		ERR("failures", "expected an object of server ids and counts");
	else
		read_failures(failures, state, problems);
	if (problems_count(problems, PROBLEM_ERROR) != errors_before) {
		failure_state_free(state);
		return -1;
	}
	return 0;
}

int
failure_state_load(const char *path, struct failure_state *state)
{
	struct problems problems = { 0 };
	json_t *json;
	int rc;

	memset(state, 0, sizeof(*state));
	/* The first run has no state yet: that is zero failures, not an error. */
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	rc = json_document_load(path, &json);
	if (rc != 0)
		return rc;
	rc = failure_state_from_json(json, state, &problems);
	problems_report(&problems, path, 0);
	problems_free(&problems);
	json_decref(json);
	return rc == 0 ? 0 : EXIT_STATUS_INPUT;
}

json_t *
failure_state_to_json(const struct failure_state *state)
{
	json_t *failures = json_object();
	size_t i;

	for (i = 0; i < state->count; i++)
		json_object_set_new(failures, state->ids[i], json_integer(state->failures[i]));
	return json_pack("{s:s, s:o, s:o}", "format", FAILURE_STATE_FORMAT,
	    "probed_at", state->probed_at ? json_string(state->probed_at) : json_null(),
	    "failures", failures);
}

int
failure_state_save(const struct failure_state *state, const char *path)
{
	json_t *json = failure_state_to_json(state);
	int rc = json_document_save(json, path, 0644);

	json_decref(json);
	return rc;
}

void
failure_state_free(struct failure_state *state)
{
	size_t i;

	for (i = 0; i < state->count; i++)
		free(state->ids[i]);
	free(state->ids);
	free(state->failures);
	free(state->probed_at);
	memset(state, 0, sizeof(*state));
}

static int64_t
previous_count(const struct failure_state *prev, const char *id)
{
	size_t i;

	for (i = 0; prev != NULL && i < prev->count; i++)
		if (strcmp(prev->ids[i], id) == 0)
			return prev->failures[i];
	return 0;
}

void
failure_state_count(const struct failure_state *prev, const struct topology *topo,
    const struct health_doc *health, int64_t *counts, struct failure_state *next)
{
	int same_sweep = prev != NULL && prev->probed_at != NULL &&
	    strcmp(prev->probed_at, health->probed_at) == 0;
	size_t i;

	memset(next, 0, sizeof(*next));
	next->probed_at = xstrdup(health->probed_at);
	for (i = 0; i < topo->server_count; i++) {
		const char *id = topo->servers[i].id;
		const struct health_observation *o = health_doc_find(health, id);
		int64_t c = previous_count(prev, id);

		if (o == NULL || o->reachable)
			c = 0;
		else if (!same_sweep || c == 0)
			c = c < FAILURES_MAX ? c + 1 : c;
		counts[i] = c;
		if (c > 0)
			state_add(next, id, c);
	}
}
