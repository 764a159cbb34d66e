/* orchestrate_json.c -- a plan as a shardkit-actions/1 document
 *
 * The document is the contract between the planner and any executor
 * (man/shardkit-actions.5): members appear only where a kind uses them, so
 * an executor can reject an action carrying a member it does not expect,
 * and the resulting topology is included whole, so the executor writes
 * exactly what was planned (compare-and-swap on the input's version).
 */

#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "orchestrate.h"
#include "probe.h"
#include "topology.h"

static const char *const kind_names[] = {
	[ACTION_PROMOTE] = "promote", [ACTION_REPOINT] = "repoint", [ACTION_FENCE] = "fence",
	[ACTION_ACTIVATE_RESERVE] = "activate_reserve", [ACTION_DETACH] = "detach",
	[ACTION_WIPE] = "wipe", [ACTION_CLONE] = "clone", [ACTION_MARK_DOWN] = "mark_down",
	[ACTION_MARK_ACTIVE] = "mark_active", [ACTION_ALERT] = "alert",
};

const char *
action_kind_name(enum action_kind kind)
{
	return kind_names[kind];
}

static const char *const severity_names[] = {
	[ALERT_NONE] = NULL, [ALERT_WARNING] = "warning", [ALERT_CRITICAL] = "critical",
};

static void
set_id(json_t *o, const char *key, const char *id)
{
	json_object_set_new(o, key, json_string(id));
}

static void
action_id(size_t index, char *out, size_t len)
{
	snprintf(out, len, "a%zu", index + 1);
}

static json_t *
action_json(const struct action *a, size_t index, const struct topology *topo)
{
	json_t *o = json_object(), *after = json_array();
	char id[32], lsn[PROBE_LSN_TEXT_MAX];
	size_t i;

	action_id(index, id, sizeof(id));
	set_id(o, "id", id);
	set_id(o, "kind", action_kind_name(a->kind));
	if (a->kind == ACTION_ALERT)
		set_id(o, "severity", severity_names[a->severity]);
	if (a->shard >= 0)
		set_id(o, "shard", topo->shards[a->shard].id);
	if (a->server >= 0)
		set_id(o, "server", topo->servers[a->server].id);
	if (a->kind == ACTION_PROMOTE) {
		set_id(o, "old_primary", topo->servers[a->primary].id);
		if (a->lsn != 0) {
			probe_lsn_format(a->lsn, lsn);
			set_id(o, "lsn", lsn);
		} else {
			json_object_set_new(o, "lsn", json_null());
		}
	}
	if (a->kind == ACTION_REPOINT || a->kind == ACTION_CLONE)
		set_id(o, "primary", topo->servers[a->primary].id);
	if (a->kind == ACTION_CLONE)
		set_id(o, "role", "reserve");
	if (a->shard_down)
		json_object_set_new(o, "shard_down", json_true());
	if (a->data_loss)
		json_object_set_new(o, "data_loss", json_true());
	if (a->servers_needed > 0)
		json_object_set_new(o, "servers_needed", json_integer(a->servers_needed));
	for (i = 0; i < a->after_count; i++) {
		action_id(a->after[i], id, sizeof(id));
		json_array_append_new(after, json_string(id));
	}
	json_object_set_new(o, "after", after);
	json_object_set_new(o, "reason", json_string(a->reason));
	return o;
}

json_t *
orchestrate_plan_json(const struct orchestrate_plan *plan, const struct orchestrate_input *in)
{
	json_t *doc = json_object(), *actions = json_array();
	size_t i;

	for (i = 0; i < plan->count; i++)
		json_array_append_new(actions, action_json(&plan->actions[i], i, in->topo));
	json_object_set_new(doc, "format", json_string(ACTIONS_FORMAT));
	json_object_set_new(doc, "topology_version", json_integer(in->topo->version));
	json_object_set_new(doc, "health_probed_at", json_string(in->health->probed_at));
	json_object_set_new(doc, "failure_threshold", json_integer(in->failure_threshold));
	json_object_set_new(doc, "actions", actions);
	json_object_set_new(doc, "topology", topology_to_json(&plan->result));
	return doc;
}
