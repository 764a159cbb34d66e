/* fuzz_actions.c -- libFuzzer target for the action-plan reader
 *
 * Arbitrary bytes go through the path plan-apply takes: jansson's parser
 * with the flags json.c uses, then actions_from_json against one fixed
 * topology, loaded once.  For documents that read, every index must be in
 * range and every after point backwards; each action's topology effect
 * (action_effect, what the executor publishes) is applied to a copy; and
 * the actions, written again by orchestrate_plan_json and read back, must
 * be the same field by field.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "health_read.h"
#include "orchestrate.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds in tests/fuzz/corpus/actions name these ids. */
static const char topology_text[] =
    "{\"format\":\"shardkit-topology/1\",\"version\":5,\"mode\":\"primary-replica\","
    "\"replication_factor\":2,\"servers\":["
    "{\"id\":\"pg1\",\"conninfo\":\"port=1\",\"role\":\"primary\",\"shard\":\"s1\"},"
    "{\"id\":\"pg2\",\"conninfo\":\"port=2\",\"role\":\"replica\",\"shard\":\"s1\"},"
    "{\"id\":\"pg3\",\"conninfo\":\"port=3\",\"role\":\"reserve\",\"shard\":\"s1\"},"
    "{\"id\":\"pg4\",\"conninfo\":\"port=4\",\"role\":\"primary\",\"shard\":\"s2\"},"
    "{\"id\":\"pg5\",\"conninfo\":\"port=5\",\"role\":\"replica\",\"shard\":\"s2\"},"
    "{\"id\":\"pg6\",\"conninfo\":\"port=6\",\"state\":\"wiped\"}],"
    "\"shards\":[{\"id\":\"s1\",\"state\":\"active\"},{\"id\":\"s2\",\"state\":\"active\"}]}";

static struct topology topo;
static int loaded;

static void
load_topology(void)
{
	struct problems problems = { 0 };
	json_t *doc = json_loads(topology_text, 0, NULL);

	if (doc == NULL || topology_from_json(doc, &topo, &problems) != 0)
		abort();
	problems_free(&problems);
	json_decref(doc);
	loaded = 1;
}

static void
check_ranges(const struct action_list *list)
{
	size_t i, k;

	for (i = 0; i < list->count; i++) {
		const struct action *a = &list->actions[i];

		if (a->server >= (int)topo.server_count || a->shard >= (int)topo.shard_count ||
		    a->primary >= (int)topo.server_count || a->after_count > ORCHESTRATE_MAX_AFTER ||
		    a->reason == NULL)
			abort();
		for (k = 0; k < a->after_count; k++)
			if (a->after[k] >= i)
				abort();
	}
}

static void
check_effects(const struct action_list *list)
{
	struct topology t;
	size_t i;

	topology_copy(&t, &topo);
	for (i = 0; i < list->count; i++)
		action_effect(&t, &list->actions[i]);
	topology_free(&t);
}

static int
same_action(const struct action *a, const struct action *b)
{
	return a->kind == b->kind && a->server == b->server && a->shard == b->shard &&
	    a->primary == b->primary && a->lsn == b->lsn && a->shard_down == b->shard_down &&
	    a->data_loss == b->data_loss && a->severity == b->severity &&
	    a->servers_needed == b->servers_needed && a->after_count == b->after_count &&
	    memcmp(a->after, b->after, a->after_count * sizeof(a->after[0])) == 0 &&
	    strcmp(a->reason, b->reason) == 0;
}

/* Written again as orchestrate writes a plan, and read back: the same actions. */
static void
check_round_trip(const struct action_list *list)
{
	struct health_doc health = { .topology_version = topo.version };
	struct orchestrate_input in = { .topo = &topo, .health = &health };
	struct orchestrate_plan plan = { .actions = list->actions, .count = list->count };
	struct problems problems = { 0 };
	struct action_list again;
	json_t *doc;
	size_t i;

	health.probed_at = list->health_probed_at;
	plan.result = topo;
	doc = orchestrate_plan_json(&plan, &in);
	if (actions_from_json(doc, &topo, &again, &problems) != 0 || again.count != list->count ||
	    strcmp(again.health_probed_at, list->health_probed_at) != 0)
		abort();
	for (i = 0; i < list->count; i++)
		if (!same_action(&list->actions[i], &again.actions[i]))
			abort();
	action_list_free(&again);
	problems_free(&problems);
	json_decref(doc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct problems problems = { 0 };
	struct action_list list;
	json_error_t err;
	json_t *doc;

	if (!loaded)
		load_topology();
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		return 0;
	if (actions_from_json(doc, &topo, &list, &problems) == 0) {
		if (problems_count(&problems, PROBLEM_ERROR) != 0)
			abort();
		check_ranges(&list);
		check_effects(&list);
		check_round_trip(&list);
		action_list_free(&list);
	} else if (list.count != 0 || list.actions != NULL || list.health_probed_at != NULL ||
	    problems_count(&problems, PROBLEM_ERROR) == 0) {
		abort();
	}
	problems_free(&problems);
	json_decref(doc);
	return 0;
}
