/* plan_json.c -- the plan document, "format": "shardkit-plan/1"
 *
 * The document is what scripts read (jq .topology, jq .moves), so its keys
 * are always present, in a fixed order, with empty arrays rather than
 * missing keys; servers and shards are named by id, never by index.  The
 * fields are described in man/shard-plan.1.
 */

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "hash.h"
#include "plan.h"
#include "ring.h"
#include "topology.h"

static const char *
action_name(enum plan_action action)
{
	return action == PLAN_REMOVE_SHARD ? "remove-shard" : "add";
}

static const char *
reserve_source_name(const struct plan *plan)
{
	switch (plan->reserve_source) {
	case PLAN_RESERVE_GIVEN:
		return "option";
	case PLAN_RESERVE_COMPUTED:
		return plan->mtbf_days > 0 ? "mtbf" : "crash-prob";
	case PLAN_RESERVE_DEFAULT:
		break;
	}
	return "default";
}

static json_t *
shard_name(const struct topology *topo, int shard)
{
	return shard < 0 ? json_null() : json_string(topo->shards[shard].id);
}

static json_t *
server_list(const struct topology *topo, const int *servers, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(topo->servers[servers[i]].id));
	return arr;
}

static json_t *
reserve_model(const struct plan *plan)
{
	json_t *model;

	if (plan->reserve_source != PLAN_RESERVE_COMPUTED)
		return json_null();
	model = json_pack("{s:I, s:f, s:f, s:f, s:I, s:f}",
	    "servers", (json_int_t)plan->reserve_request.servers,
	    "crash_prob", plan->reserve_request.crash_prob,
	    "confidence", plan->reserve_request.confidence,
	    "expected_down", plan->reserve_model.expected_down,
	    "reserve", (json_int_t)plan->reserve_model.reserve,
	    "achieved", plan->reserve_model.achieved);
	if (plan->mtbf_days > 0) {
		json_object_set_new(model, "mtbf_days", json_real(plan->mtbf_days));
		json_object_set_new(model, "repair_days", json_real(plan->repair_days));
	}
	return model;
}

/* The distinct zones of a new shard's servers, in order of first appearance. */
static json_t *
shard_zones(const struct topology *topo, const struct plan_shard *ns)
{
	json_t *arr = json_array();
	size_t i, k;

	for (i = 0; i <= ns->replica_count; i++) {
		const char *zone = topo->servers[i == 0 ? ns->primary : ns->replicas[i - 1]].zone;
		int seen = 0;

		for (k = 0; k < json_array_size(arr); k++)
			seen |= strcmp(json_string_value(json_array_get(arr, k)), zone) == 0;
		if (!seen)
			json_array_append_new(arr, json_string(zone));
	}
	return arr;
}

static json_t *
new_shards(const struct plan *plan)
{
	const struct topology *r = &plan->result;
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < plan->new_shard_count; i++) {
		const struct plan_shard *ns = &plan->new_shards[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o, s:I}",
		    "id", r->shards[ns->shard].id,
		    "primary", r->servers[ns->primary].id,
		    "replicas", server_list(r, ns->replicas, ns->replica_count),
		    "zones", shard_zones(r, ns),
		    "tokens", (json_int_t)r->shards[ns->shard].token_count));
	}
	return arr;
}

static json_t *
new_members(const struct plan *plan)
{
	const struct topology *r = &plan->result;
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < plan->new_member_count; i++) {
		const struct topology_server *s = &r->servers[plan->new_members[i]];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:I}",
		    "server", s->id, "zone", s->zone, "tokens", (json_int_t)s->token_count));
	}
	return arr;
}

static json_t *
reserves(const struct plan *plan)
{
	const struct topology *r = &plan->result;
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < plan->reserve_assignment_count; i++) {
		const struct plan_reserve *pr = &plan->reserves[i];

		json_array_append_new(arr, json_pack("{s:s, s:o}",
		    "server", r->servers[pr->server].id, "shard", shard_name(r, pr->shard)));
	}
	return arr;
}

static json_t *
removed_shard(const struct plan *plan)
{
	if (plan->removed_shard == NULL)
		return json_null();
	return json_pack("{s:s, s:o}", "id", plan->removed_shard,
	    "servers", server_list(&plan->result, plan->removed_servers,
	    plan->removed_server_count));
}

static json_t *
ranges(const struct plan_move *m)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < m->range_count; i++) {
		char start[TOKEN_TEXT_LEN + 1], end[TOKEN_TEXT_LEN + 1];

		token_format(m->ranges[i].start, start);
		token_format(m->ranges[i].end, end);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "start", start, "end", end));
	}
	return arr;
}

static json_t *
moves(const struct plan *plan)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < plan->move_count; i++) {
		const struct plan_move *m = &plan->moves[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:o}",
		    "from", m->from, "to", m->to, "fraction", m->fraction,
		    "ranges", ranges(m)));
	}
	return arr;
}

static json_t *
totals(const struct plan_total *t, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:f}",
		    "owner", t[i].owner, "fraction", t[i].fraction));
	return arr;
}

static json_t *
notes(const struct plan *plan)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < plan->note_count; i++)
		json_array_append_new(arr, json_string(plan->notes[i]));
	return arr;
}

json_t *
plan_to_json(const struct plan *plan)
{
	const struct topology *r = &plan->result;
	json_t *doc = json_object();

	json_object_set_new(doc, "format", json_string(PLAN_FORMAT));
	json_object_set_new(doc, "action", json_string(action_name(plan->action)));
	json_object_set_new(doc, "base_version", json_integer(plan->base_version));
	json_object_set_new(doc, "version", json_integer(r->version));
	json_object_set_new(doc, "mode", json_string(topology_mode_name(r->mode)));
	json_object_set_new(doc, "replication_factor", json_integer(plan->replication_factor));
	json_object_set_new(doc, "reserve_target", json_integer((json_int_t)plan->reserve_target));
	json_object_set_new(doc, "reserve_source",
	    json_string(reserve_source_name(plan)));
	json_object_set_new(doc, "reserve_model", reserve_model(plan));
	json_object_set_new(doc, "reserve_count", json_integer((json_int_t)plan->reserve_count));
	json_object_set_new(doc, "new_shards", new_shards(plan));
	json_object_set_new(doc, "new_members", new_members(plan));
	json_object_set_new(doc, "removed_shard", removed_shard(plan));
	json_object_set_new(doc, "reserves", reserves(plan));
	json_object_set_new(doc, "unassigned",
	    server_list(r, plan->unassigned, plan->unassigned_count));
	json_object_set_new(doc, "moves", moves(plan));
	json_object_set_new(doc, "moved_from", totals(plan->moved_from, plan->moved_from_count));
	json_object_set_new(doc, "moved_to", totals(plan->moved_to, plan->moved_to_count));
	json_object_set_new(doc, "moved_fraction", json_real(plan->moved_fraction));
	json_object_set_new(doc, "notes", notes(plan));
	json_object_set_new(doc, "topology", topology_to_json(r));
	return doc;
}
