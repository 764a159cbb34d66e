/* plan.c -- shard-plan's planner: new shards from new servers, shard removal
 *
 * Pure: a topology in, a plan out; nothing here reads, writes or reports.
 * The planner works on a deep copy of the topology (plan.result) and derives
 * the data movement from the rings built before and after, so the moves are
 * by construction exactly the ranges whose owner differs.
 *
 * Every choice is deterministic and independent of the order of servers in
 * the file: candidates are taken in id order, zones by size then name.  The
 * seed's rules, in order: keep the reserve target, form floor(rest / X)
 * shards spread over as many zones as possible, and attach every reserve to
 * the shard with the fewest reserves, where it serves reads while it waits.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "plan.h"
#include "reserve.h"
#include "ring.h"
#include "topology.h"

/* A server index with the strings it is ordered by. */
struct ref {
	const char *zone;
	const char *id;
	int index;
};

/* The candidates of one zone, in id order; count shrinks as reserves are taken. */
struct zone_group {
	const char *zone;
	const struct ref *members;
	size_t count;
};

/* ---- small helpers ------------------------------------------------------ */

static void
add_note(struct plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
add_note(struct plan *plan, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	plan->notes = xreallocarray(plan->notes, plan->note_count + 1, sizeof(*plan->notes));
	plan->notes[plan->note_count++] = xstrdup(line);
}

static void
add_reserve(struct plan *plan, int server, int shard)
{
	plan->reserves = xreallocarray(plan->reserves, plan->reserve_assignment_count + 1,
	    sizeof(*plan->reserves));
	plan->reserves[plan->reserve_assignment_count].server = server;
	plan->reserves[plan->reserve_assignment_count++].shard = shard;
}

/* Names in natural order ("pg2" before "pg10"), as an operator reads them. */
static int
natural(const char *a, const char *b)
{
	return strverscmp(a, b);
}

static int
compare_ref_id(const void *a, const void *b)
{
	return natural(((const struct ref *)a)->id, ((const struct ref *)b)->id);
}

static int
compare_ref_zone_id(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = natural(x->zone, y->zone);

	return c != 0 ? c : natural(x->id, y->id);
}

static void
set_error(char *error, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_error(char *error, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, size, fmt, ap);
	va_end(ap);
}

const char **
plan_owner_ids(const struct topology *topo)
{
	int multi = topo->mode == MODE_MULTI_MASTER;
	size_t i, n = multi ? topo->server_count : topo->shard_count;
	const char **ids = xcalloc(n, sizeof(*ids));

	for (i = 0; i < n; i++)
		ids[i] = multi ? topo->servers[i].id : topo->shards[i].id;
	return ids;
}

/* ---- who is what ---------------------------------------------------------- */

/*
 * A reserve that can replace a failed server now.  In multi-master mode
 * servers have no roles: an up server kept off the ring is the reserve.
 */
static int
is_reserve(const struct topology *topo, const struct topology_server *s)
{
	if (s->state != SERVER_UP)
		return 0;
	if (topo->mode == MODE_MULTI_MASTER)
		return s->role == ROLE_NONE && s->token_count == 0;
	return s->role == ROLE_RESERVE;
}

static uint64_t
count_reserves(const struct topology *topo)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < topo->server_count; i++)
		n += (uint64_t)is_reserve(topo, &topo->servers[i]);
	return n;
}

/* A server the plan may place: up, no role, no shard, off the ring. */
static int
is_candidate(const struct topology_server *s)
{
	return s->state == SERVER_UP && s->role == ROLE_NONE && s->shard < 0 &&
	    s->token_count == 0;
}

/* The candidates of topo in id order; returns their count. */
static size_t
collect_candidates(const struct topology *topo, struct ref **out)
{
	struct ref *refs = xcalloc(topo->server_count, sizeof(*refs));
	size_t i, n = 0;

	for (i = 0; i < topo->server_count; i++) {
		if (!is_candidate(&topo->servers[i]))
			continue;
		refs[n].zone = topo->servers[i].zone;
		refs[n].id = topo->servers[i].id;
		refs[n++].index = (int)i;
	}
	qsort(refs, n, sizeof(*refs), compare_ref_id);
	*out = refs;
	return n;
}

/* ---- the reserve target --------------------------------------------------- */

static int
reserve_target(const struct topology *topo, const struct plan_options *options,
    struct plan *plan, char *error, size_t error_size)
{
	plan->reserve_source = options->reserve_source;
	switch (options->reserve_source) {
	case PLAN_RESERVE_DEFAULT:
		plan->reserve_target = 0;
		return 0;
	case PLAN_RESERVE_GIVEN:
		plan->reserve_target = options->reserve;
		return 0;
	case PLAN_RESERVE_COMPUTED:
		break;
	}
	/*
	 * The reserve protects every server in service after the plan, new ones
	 * included; reserve_population is the count reserve-calc uses too.
	 */
	plan->reserve_request.servers = reserve_population(topo);
	plan->reserve_request.crash_prob = options->crash_prob;
	plan->reserve_request.confidence = options->confidence;
	plan->mtbf_days = options->mtbf_days;
	plan->repair_days = options->repair_days;
	if (plan->reserve_request.servers == 0) {
		plan->reserve_model.achieved = plan->reserve_model.poisson_achieved = 1.0;
		plan->reserve_target = 0;
		return 0;
	}
	if (reserve_compute(&plan->reserve_request, &plan->reserve_model) != 0) {
		set_error(error, error_size,
		    "cannot compute a reserve for %llu servers, crash probability %g, confidence %g",
		    (unsigned long long)plan->reserve_request.servers, options->crash_prob,
		    options->confidence);
		return EXIT_STATUS_USAGE;
	}
	plan->reserve_target = plan->reserve_model.reserve;
	return 0;
}

/* ---- zones ---------------------------------------------------------------- */

/* Group candidates (sorted by zone then id); returns the group count. */
static size_t
group_by_zone(struct ref *cands, size_t n, struct zone_group **out)
{
	struct zone_group *groups = xcalloc(n, sizeof(*groups));
	size_t i, g = 0;

	qsort(cands, n, sizeof(*cands), compare_ref_zone_id);
	for (i = 0; i < n; i++) {
		if (g == 0 || strcmp(groups[g - 1].zone, cands[i].zone) != 0) {
			groups[g].zone = cands[i].zone;
			groups[g++].members = &cands[i];
		}
		groups[g - 1].count++;
	}
	*out = groups;
	return g;
}

/*
 * Take reserves from the largest zone each time: what remains is as even
 * over zones as it can be, which is what lets shards span distinct zones.
 * Ties go to the zone that sorts first; in a zone the highest id goes.
 */
static void
take_reserves(struct zone_group *groups, size_t group_count, size_t want, int *out)
{
	size_t taken, i, best;

	for (taken = 0; taken < want; taken++) {
		best = group_count;
		for (i = 0; i < group_count; i++)
			if (groups[i].count > 0 && (best == group_count || groups[i].count > groups[best].count))
				best = i;
		out[taken] = groups[best].members[--groups[best].count].index;
	}
}

static int
compare_group_size(const void *a, const void *b)
{
	const struct zone_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return natural(x->zone, y->zone);
}

/*
 * Deal the remaining candidates to shard_count shards round-robin, largest
 * zone first: a zone with at most shard_count servers lands in distinct
 * shards, a larger one in every shard as evenly as possible.  That gives the
 * most (zone, shard) pairs there can be.  members[k] gets the servers of
 * shard k, in dealing order.
 */
static void
deal_members(struct zone_group *groups, size_t group_count, size_t shard_count, int x,
    int *members)
{
	size_t g, m, dealt = 0;

	qsort(groups, group_count, sizeof(*groups), compare_group_size);
	for (g = 0; g < group_count; g++)
		for (m = 0; m < groups[g].count; m++, dealt++)
			members[(dealt % shard_count) * (size_t)x + dealt / shard_count] =
			    groups[g].members[m].index;
}

/* How many primaries each zone holds: a small (zone, count) table. */
struct zone_tally {
	const char **zones;
	size_t *counts;
	size_t count;
};

static size_t *
tally_slot(struct zone_tally *t, const char *zone)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (strcmp(t->zones[i], zone) == 0)
			return &t->counts[i];
	t->zones = xreallocarray(t->zones, t->count + 1, sizeof(*t->zones));
	t->counts = xreallocarray(t->counts, t->count + 1, sizeof(*t->counts));
	t->zones[t->count] = zone;
	t->counts[t->count] = 0;
	return &t->counts[t->count++];
}

/*
 * The primary of a new shard is in the zone holding the fewest primaries so
 * far (writes spread over zones, and one zone's loss takes few primaries),
 * ties to the zone that sorts first, then the lowest id.
 */
static int
pick_primary(const struct topology *topo, const int *members, int x, struct zone_tally *tally)
{
	int k, best = -1;
	size_t best_count = 0;

	for (k = 0; k < x; k++) {
		const struct topology_server *s = &topo->servers[members[k]];
		size_t c = *tally_slot(tally, s->zone);
		const struct topology_server *b = best < 0 ? NULL : &topo->servers[members[best]];

		if (b == NULL || c < best_count ||
		    (c == best_count && (natural(s->zone, b->zone) < 0 ||
		    (natural(s->zone, b->zone) == 0 && natural(s->id, b->id) < 0)))) {
			best = k;
			best_count = c;
		}
	}
	(*tally_slot(tally, topo->servers[members[best]].zone))++;
	return members[best];
}

static int
compare_server_id(const void *a, const void *b, void *topo)
{
	const struct topology *t = topo;

	return natural(t->servers[*(const int *)a].id, t->servers[*(const int *)b].id);
}

/* ---- new shards ----------------------------------------------------------- */

/* One more than the largest PREFIX<n> in use, skipping any id that is taken. */
static unsigned long
first_free_number(const struct topology *topo, const char *prefix)
{
	size_t i, len = strlen(prefix);
	unsigned long next = 1;

	for (i = 0; i < topo->shard_count; i++) {
		const char *id = topo->shards[i].id, *digits = id + len;
		char *end;
		unsigned long n;

		if (strncmp(id, prefix, len) != 0 || *digits < '0' || *digits > '9' ||
		    strlen(digits) > 9)
			continue;
		n = strtoul(digits, &end, 10);
		if (*end == '\0' && n >= next)
			next = n + 1;
	}
	return next;
}

static void
next_shard_id(const struct topology *topo, const char *prefix, unsigned long *n,
    char *id, size_t size)
{
	do
		snprintf(id, size, "%s%lu", prefix, (*n)++);
	while (topology_find_shard(topo, id) >= 0);
}

static void
form_shards(struct plan *plan, const int *members, size_t shard_count, int x,
    const char *prefix)
{
	struct topology *r = &plan->result;
	struct zone_tally tally = { 0 };
	unsigned long number = first_free_number(r, prefix);
	size_t i, k;

	for (i = 0; i < r->server_count; i++)
		if (r->servers[i].role == ROLE_PRIMARY)
			(*tally_slot(&tally, r->servers[i].zone))++;
	plan->new_shards = xcalloc(shard_count, sizeof(*plan->new_shards));
	for (i = 0; i < shard_count; i++) {
		struct plan_shard *ns = &plan->new_shards[plan->new_shard_count++];
		const int *mine = &members[i * (size_t)x];
		char id[TOPOLOGY_ID_MAX + 32];

		next_shard_id(r, prefix, &number, id, sizeof(id));
		ns->shard = topology_add_shard(r, id, SHARD_ACTIVE);
		ns->primary = pick_primary(r, mine, x, &tally);
		ns->replicas = xcalloc((size_t)x, sizeof(int));
		for (k = 0; k < (size_t)x; k++)
			if (mine[k] != ns->primary)
				ns->replicas[ns->replica_count++] = mine[k];
		qsort_r(ns->replicas, ns->replica_count, sizeof(int), compare_server_id, r);
		r->servers[ns->primary].role = ROLE_PRIMARY;
		r->servers[ns->primary].shard = ns->shard;
		for (k = 0; k < ns->replica_count; k++) {
			r->servers[ns->replicas[k]].role = ROLE_REPLICA;
			r->servers[ns->replicas[k]].shard = ns->shard;
		}
	}
	free(tally.zones);
	free(tally.counts);
}

/* ---- reserves ------------------------------------------------------------- */

/* has[k] = 1 when shard k has a server in zone: one pass over the servers. */
static void
shards_with_zone(const struct topology *topo, const char *zone, unsigned char *has)
{
	size_t i;

	memset(has, 0, topo->shard_count);
	for (i = 0; i < topo->server_count; i++)
		if (topo->servers[i].shard >= 0 && strcmp(topo->servers[i].zone, zone) == 0)
			has[topo->servers[i].shard] = 1;
}

/*
 * The shard a reserve attaches to: the fewest reserves, then one without a
 * server in the reserve's zone (so the reserve can replace a failure there
 * without two copies in one zone), then the first.  Active shards only,
 * unless there are none; -1 when there is no shard at all.
 */
static int
pick_shard(const struct topology *topo, const size_t *reserves, const char *zone,
    unsigned char *has_zone)
{
	int i, best = -1, any_active = 0;

	shards_with_zone(topo, zone, has_zone);
	for (i = 0; i < (int)topo->shard_count; i++)
		any_active |= topo->shards[i].state == SHARD_ACTIVE;
	for (i = 0; i < (int)topo->shard_count; i++) {
		if (any_active && topo->shards[i].state != SHARD_ACTIVE)
			continue;
		if (best < 0 || reserves[i] < reserves[best] ||
		    (reserves[i] == reserves[best] && !has_zone[i] && has_zone[best]))
			best = i;
	}
	return best;
}

/*
 * Make servers (result indexes) reserves: attached to shards in
 * primary-replica mode, spares with no shard in no-replication mode (a shard
 * there has no replicas to serve reads from), left off the ring and without
 * a role in multi-master mode (servers have no roles there).
 */
static void
make_reserves(struct plan *plan, int *servers, size_t n)
{
	struct topology *r = &plan->result;
	size_t *per_shard = xcalloc(r->shard_count, sizeof(size_t));
	unsigned char *has_zone = xcalloc(r->shard_count, 1);
	size_t i;

	qsort_r(servers, n, sizeof(int), compare_server_id, r);
	for (i = 0; i < r->server_count; i++)
		if (r->servers[i].role == ROLE_RESERVE && r->servers[i].shard >= 0)
			per_shard[r->servers[i].shard]++;
	for (i = 0; i < n; i++) {
		struct topology_server *s = &r->servers[servers[i]];
		int shard = -1;

		if (r->mode == MODE_PRIMARY_REPLICA) {
			shard = pick_shard(r, per_shard, s->zone, has_zone);
			if (shard >= 0)
				per_shard[shard]++;
		}
		if (r->mode != MODE_MULTI_MASTER)
			s->role = ROLE_RESERVE;
		s->shard = shard;
		add_reserve(plan, servers[i], shard);
	}
	free(has_zone);
	free(per_shard);
}

/* Reserves left without a shard while shards exist get one (primary-replica). */
static void
attach_loose_reserves(struct plan *plan)
{
	struct topology *r = &plan->result;
	int *loose = xcalloc(r->server_count, sizeof(int));
	size_t i, n = 0;

	if (r->mode == MODE_PRIMARY_REPLICA && r->shard_count > 0)
		for (i = 0; i < r->server_count; i++)
			if (r->servers[i].role == ROLE_RESERVE && r->servers[i].shard < 0)
				loose[n++] = (int)i;
	make_reserves(plan, loose, n);
	free(loose);
}

/* ---- the two actions ------------------------------------------------------ */

static void
plan_add(struct plan *plan, const struct plan_options *options)
{
	struct topology *r = &plan->result;
	const char *prefix = options->shard_prefix ? options->shard_prefix : PLAN_DEFAULT_PREFIX;
	int multi = r->mode == MODE_MULTI_MASTER, x = plan->replication_factor;
	uint64_t have = multi ? 0 : count_reserves(r), need;
	struct zone_group *groups;
	struct ref *cands;
	size_t n, group_count, keep, shards = 0, i;
	int *spares, *members;

	/* In multi-master mode every off-ring server is pooled again each time. */
	n = collect_candidates(r, &cands);
	need = plan->reserve_target > have ? plan->reserve_target - have : 0;
	keep = need >= n ? n : (size_t)need;
	if (!multi) {
		shards = (n - keep) / (size_t)x;
		if (n > 0 && shards == 0)
			add_note(plan, "not enough new servers to form a shard: %zu new, %zu kept for the reserve target, %d needed per shard; all become reserves",
			    n, keep, x);
		keep = n - shards * (size_t)x;
	}
	group_count = group_by_zone(cands, n, &groups);
	spares = xcalloc(n, sizeof(int));
	take_reserves(groups, group_count, keep, spares);
	members = xcalloc(n, sizeof(int));
	if (multi) {
		for (i = 0; i < group_count; i++) {
			size_t m;

			for (m = 0; m < groups[i].count; m++)
				members[plan->new_member_count++] = groups[i].members[m].index;
		}
		qsort_r(members, plan->new_member_count, sizeof(int), compare_server_id, r);
		plan->new_members = members;
		members = NULL;
	} else if (shards > 0) {
		deal_members(groups, group_count, shards, x, members);
		form_shards(plan, members, shards, x, prefix);
	}
	make_reserves(plan, spares, keep);
	attach_loose_reserves(plan);
	free(members);
	free(spares);
	free(groups);
	free(cands);
}

static int
plan_remove(struct plan *plan, const char *id, char *error, size_t error_size)
{
	struct topology *r = &plan->result;
	int shard = topology_find_shard(r, id);
	size_t i;

	if (shard < 0) {
		set_error(error, error_size, "cannot remove shard \"%s\": no such shard", id);
		return EXIT_STATUS_INPUT;
	}
	if (r->shard_count == 1) {
		set_error(error, error_size,
		    "cannot remove shard \"%s\": it is the last shard and would leave the ring empty", id);
		return EXIT_STATUS_INPUT;
	}
	plan->removed_shard = xstrdup(id);
	plan->removed_servers = xcalloc(r->server_count, sizeof(int));
	for (i = 0; i < r->server_count; i++)
		if (r->servers[i].shard == shard)
			plan->removed_servers[plan->removed_server_count++] = (int)i;
	topology_remove_shard(r, shard);
	make_reserves(plan, plan->removed_servers, plan->removed_server_count);
	return 0;
}

/* ---- tokens --------------------------------------------------------------- */

/*
 * Multi-master: only ring members may take part in placement, or reserves
 * and unreachable servers would be given tokens too.  Placement runs on a
 * view that shares the result's servers, in id order so that the tokens do
 * not depend on the order of servers in the file; tokens come back by index.
 */
static void
place_members(struct plan *plan)
{
	struct topology *r = &plan->result, view = *r;
	unsigned char *joining = xcalloc(r->server_count, 1);
	int *map = xcalloc(r->server_count, sizeof(int));
	size_t i, n = 0;

	for (i = 0; i < plan->new_member_count; i++)
		joining[plan->new_members[i]] = 1;
	for (i = 0; i < r->server_count; i++) {
		if (r->servers[i].token_count == 0 && !joining[i])
			continue;
		if (joining[i]) {
			free(r->servers[i].tokens);
			r->servers[i].tokens = NULL;
		}
		map[n++] = (int)i;
	}
	qsort_r(map, n, sizeof(int), compare_server_id, r);
	view.servers = xcalloc(n, sizeof(*view.servers));
	view.server_count = n;
	for (i = 0; i < n; i++)
		view.servers[i] = r->servers[map[i]];
	if (plan->new_member_count > 0)
		ring_place(&view, r->vnodes);
	for (i = 0; i < n; i++) {
		r->servers[map[i]].tokens = view.servers[i].tokens;
		r->servers[map[i]].token_count = view.servers[i].token_count;
	}
	free(view.servers);
	free(map);
	free(joining);
}

static void
place_tokens(struct plan *plan)
{
	struct topology *r = &plan->result;
	size_t i;
	int empty = 0;

	if (r->mode == MODE_MULTI_MASTER) {
		place_members(plan);
		return;
	}
	for (i = 0; i < r->shard_count; i++)
		empty |= r->shards[i].token_count == 0;
	if (!empty)
		return;
	for (i = 0; i < r->shard_count; i++)
		if (r->shards[i].token_count == 0 && i < r->shard_count - plan->new_shard_count)
			add_note(plan, "shard \"%s\" had no tokens: it gets its tokens now",
			    r->shards[i].id);
	ring_place(r, r->vnodes);
}

/* ---- the plan ------------------------------------------------------------- */

static void
list_unassigned(struct plan *plan)
{
	const struct topology *r = &plan->result;
	size_t i;

	plan->unassigned = xcalloc(r->server_count, sizeof(int));
	for (i = 0; i < r->server_count; i++) {
		const struct topology_server *s = &r->servers[i];
		int left = r->mode == MODE_MULTI_MASTER ?
		    s->token_count == 0 && s->state != SERVER_UP :
		    s->role == ROLE_NONE && s->shard < 0;

		if (left)
			plan->unassigned[plan->unassigned_count++] = (int)i;
	}
}

/*
 * Whether the plan changed the topology at all, judged on the documents
 * themselves: a multi-master spare is listed in the plan yet changes
 * nothing, and a plan that changes nothing must not bump the version, or
 * re-running it would.
 */
static int
topology_changed(const struct topology *before, const struct topology *after)
{
	json_t *a = topology_to_json(before), *b = topology_to_json(after);
	int changed = !json_equal(a, b);

	json_decref(a);
	json_decref(b);
	return changed;
}

int
plan_prefix_valid(const char *prefix)
{
	char probe[TOPOLOGY_ID_MAX + 32];

	/* Room for nine digits: shard numbers never run out before ids do. */
	snprintf(probe, sizeof(probe), "%s123456789", prefix);
	return topology_id_valid(probe);
}

static int
check_options(const struct plan_options *options, char *error, size_t error_size)
{
	if (options->action == PLAN_REMOVE_SHARD && options->remove_shard == NULL) {
		set_error(error, error_size, "no shard to remove");
		return EXIT_STATUS_USAGE;
	}
	if (options->shard_prefix != NULL && !plan_prefix_valid(options->shard_prefix)) {
		set_error(error, error_size,
		    "invalid --shard-prefix \"%s\": expected up to %d letters, digits, '_', '.' or '-', starting with a letter or digit",
		    options->shard_prefix, TOPOLOGY_ID_MAX - 9);
		return EXIT_STATUS_USAGE;
	}
	return 0;
}

int
plan_build(const struct topology *topo, const struct plan_options *options,
    struct plan *plan, char *error, size_t error_size)
{
	int rc;

	memset(plan, 0, sizeof(*plan));
	if ((rc = check_options(options, error, error_size)) != 0)
		return rc;
	plan->action = options->action;
	plan->base_version = topo->version;
	plan->replication_factor = topo->mode == MODE_NO_REPLICATION ? 1 : topo->replication_factor;
	if (options->action == PLAN_ADD &&
	    (rc = reserve_target(topo, options, plan, error, error_size)) != 0)
		return rc;
	topology_copy(&plan->result, topo);
	if (options->action == PLAN_ADD) {
		plan_add(plan, options);
	} else if ((rc = plan_remove(plan, options->remove_shard, error, error_size)) != 0) {
		plan_free(plan);
		return rc;
	}
	place_tokens(plan);
	if (topology_changed(topo, &plan->result))
		plan->result.version = topo->version + 1;
	plan->reserve_count = count_reserves(&plan->result);
	if (options->action == PLAN_ADD && plan->reserve_count < plan->reserve_target)
		add_note(plan, "reserve target %llu not reached: %llu reserves",
		    (unsigned long long)plan->reserve_target,
		    (unsigned long long)plan->reserve_count);
	list_unassigned(plan);
	plan_moves(topo, &plan->result, plan);
	return 0;
}

void
plan_free(struct plan *plan)
{
	size_t i;

	for (i = 0; i < plan->new_shard_count; i++)
		free(plan->new_shards[i].replicas);
	free(plan->new_shards);
	free(plan->new_members);
	free(plan->reserves);
	free(plan->removed_shard);
	free(plan->removed_servers);
	free(plan->unassigned);
	for (i = 0; i < plan->move_count; i++) {
		free(plan->moves[i].from);
		free(plan->moves[i].to);
		free(plan->moves[i].ranges);
	}
	free(plan->moves);
	for (i = 0; i < plan->moved_from_count; i++)
		free(plan->moved_from[i].owner);
	free(plan->moved_from);
	for (i = 0; i < plan->moved_to_count; i++)
		free(plan->moved_to[i].owner);
	free(plan->moved_to);
	for (i = 0; i < plan->note_count; i++)
		free(plan->notes[i]);
	free(plan->notes);
	topology_free(&plan->result);
	memset(plan, 0, sizeof(*plan));
}
