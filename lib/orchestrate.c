/* orchestrate.c -- the failover planner: topology and health in, actions out
 *
 * The plan is built in passes over one working copy of the topology (the
 * result), in an order that lets later passes see what earlier ones did:
 *   1. the health document must describe this topology, else alerts only;
 *   2. per shard, ambiguity (two servers answering as primary, a primary
 *      answering as a replica) stops every destructive action on it;
 *   3. failover of primaries lost for the threshold, then servers lost;
 *   4. servers that come back are wiped into the reserve pool;
 *   5. shards below their replication factor take a reserve: their own
 *      first, then, in a second pass, one from the shard with the most;
 *   6. the reserve pool against its target.
 * Actions on one server are chained ("after") in the order planned, so an
 * executor that runs them in dependency order never clones a server it has
 * not wiped, nor activates a reserve before the shard has its new primary.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "health.h"
#include "health_read.h"
#include "orchestrate.h"
#include "probe.h"
#include "topology.h"

struct planner {
	const struct orchestrate_input *in;
	const struct topology *topo;
	struct orchestrate_plan *plan;
	struct topology *res;
	const struct health_observation **obs;  /* per server; NULL when not in the document */
	size_t *last;           /* per server: 1 + its last action, 0 for none */
	size_t *promoted;       /* per shard: 1 + its promote action, 0 for none */
	char *ambiguous;        /* per shard */
	char *handled;          /* per server: a lost server already dealt with */
};

/* ---- actions ----------------------------------------------------------- */

static void
depend(struct action *a, size_t one_based)
{
	size_t i;

	if (one_based == 0)
		return;
	for (i = 0; i < a->after_count; i++)
		if (a->after[i] == one_based - 1)
			return;
	if (a->after_count < ORCHESTRATE_MAX_AFTER)
		a->after[a->after_count++] = one_based - 1;
}

/*
 * Append an action on server (or -1) of shard (or -1); it waits for the
 * server's previous action.  Returns the action, valid until the next add.
 */
static struct action *
add(struct planner *p, enum action_kind kind, int server, int shard, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static struct action *
add(struct planner *p, enum action_kind kind, int server, int shard, const char *fmt, ...)
{
	struct orchestrate_plan *plan = p->plan;
	struct action *a;
	va_list ap;
	char reason[1024];

	if (plan->count == plan->capacity) {
		plan->capacity = plan->capacity ? plan->capacity * 2 : 16;
		plan->actions = xreallocarray(plan->actions, plan->capacity, sizeof(*a));
	}
	a = &plan->actions[plan->count++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->server = server;
	a->shard = shard;
	a->primary = -1;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	a->reason = xstrdup(reason);
	if (server >= 0) {
		depend(a, p->last[server]);
		p->last[server] = plan->count;
	}
	if (kind != ACTION_ALERT && kind != ACTION_REPOINT)
		plan->changed = 1;
	return a;
}

/*
 * A complete action (every field set after add) takes effect on the
 * resulting topology through the executor's own table (action_effect.c),
 * so the topology planned is the one the executor publishes.
 */
static struct action *
effect(struct planner *p, struct action *a)
{
	action_effect(p->res, a);
	return a;
}

static struct action *
alert(struct planner *p, enum alert_severity severity, int server, int shard,
    const char *reason)
{
	struct action *a = add(p, ACTION_ALERT, server, shard, "%s", reason);

	a->severity = severity;
	return a;
}

/* ---- what the sweep says about a server -------------------------------- */

static int
in_service(enum server_state state)
{
	return state == SERVER_UP || state == SERVER_JOINING || state == SERVER_DRAINING;
}

static int
reachable(const struct planner *p, int i)
{
	return p->obs[i] != NULL && p->obs[i]->reachable;
}

/* In service, and unreachable for the threshold. */
static int
lost(const struct planner *p, int i)
{
	return in_service(p->topo->servers[i].state) && !reachable(p, i) &&
	    p->in->failures[i] >= p->in->failure_threshold;
}

static enum health_role
observed(const struct planner *p, int i)
{
	return reachable(p, i) ? p->obs[i]->observed : HEALTH_ROLE_UNKNOWN;
}

/* pg_auto_failover's rule: coalesce(received, replayed). */
static uint64_t
wal_position(const struct planner *p, int i)
{
	const struct health_observation *o = p->obs[i];

	return o->received_lsn != 0 ? o->received_lsn : o->replayed_lsn;
}

static const char *
why_unreachable(const struct planner *p, int i)
{
	const struct health_observation *o = p->obs[i];

	return o != NULL && o->error != NULL ? o->error : "no answer";
}

static const char *
plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static const char *
lsn_text(uint64_t lsn, char out[PROBE_LSN_TEXT_MAX])
{
	if (lsn == 0)
		snprintf(out, PROBE_LSN_TEXT_MAX, "unknown");
	else
		probe_lsn_format(lsn, out);
	return out;
}

/* ---- 1. does the document describe this topology? ---------------------- */

static void
check_document(struct planner *p)
{
	const struct topology *topo = p->topo;
	const struct health_doc *h = p->in->health;
	char reason[512];
	size_t i;

	if (h->topology_version != topo->version) {
		snprintf(reason, sizeof(reason),
		    "the health document probed topology version %lld, the topology is version %lld: no action until a sweep of this version",
		    (long long)h->topology_version, (long long)topo->version);
		alert(p, ALERT_WARNING, -1, -1, reason);
		p->plan->mismatch = 1;
	}
	for (i = 0; i < h->count; i++)
		if (topology_find_server(topo, h->servers[i].id) < 0) {
			snprintf(reason, sizeof(reason),
			    "the health document names server \"%s\", which the topology does not have: no action",
			    h->servers[i].id);
			alert(p, ALERT_WARNING, -1, -1, reason);
			p->plan->mismatch = 1;
		}
	for (i = 0; i < topo->server_count; i++)
		if (p->obs[i] == NULL) {
			snprintf(reason, sizeof(reason),
			    "server \"%s\" is missing from the health document: no action",
			    topo->servers[i].id);
			alert(p, ALERT_WARNING, (int)i, -1, reason);
			p->plan->mismatch = 1;
		}
}

/* ---- 2. ambiguity ------------------------------------------------------ */

/* The one member of shard answering as primary, -1 for none, -2 for several. */
static int
observed_primary(const struct planner *p, int shard)
{
	size_t i;
	int found = -1;

	for (i = 0; i < p->topo->server_count; i++)
		if (p->topo->servers[i].shard == shard && observed(p, (int)i) == HEALTH_ROLE_PRIMARY)
			found = found == -1 ? (int)i : -2;
	return found;
}

/*
 * A member other than the recorded primary answering as primary is an
 * interrupted promotion when the recorded primary is lost and the member is
 * an active replica: failover completes it.  Anything else is a split brain
 * or an operator's hand, and nothing destructive is planned until it is
 * resolved.
 */
static void
check_shard(struct planner *p, int shard)
{
	const struct topology *topo = p->topo;
	const char *sid = topo->shards[shard].id;
	int primary = topology_shard_primary(topo, shard);
	int seen = observed_primary(p, shard);
	char reason[512];

	if (seen == -2) {
		snprintf(reason, sizeof(reason),
		    "more than one server of shard \"%s\" answers as a primary: no action on the shard until all but one are fenced",
		    sid);
	} else if (seen >= 0 && seen != primary && !(primary >= 0 && lost(p, primary) &&
	    topo->servers[seen].role == ROLE_REPLICA && topo->servers[seen].state == SERVER_UP)) {
		snprintf(reason, sizeof(reason),
		    "server \"%s\" of shard \"%s\" answers as a primary, but the topology's primary is %s%s%s: no action on the shard",
		    topo->servers[seen].id, sid, primary >= 0 ? "\"" : "",
		    primary >= 0 ? topo->servers[primary].id : "none", primary >= 0 ? "\"" : "");
	} else if (primary >= 0 && observed(p, primary) == HEALTH_ROLE_REPLICA) {
		snprintf(reason, sizeof(reason),
		    "primary \"%s\" of shard \"%s\" answers as a replica (in recovery, read-only): no action on the shard",
		    topo->servers[primary].id, sid);
	} else if (primary >= 0 && seen == primary && p->obs[primary]->read_only == 1) {
		/* A fence left on, or an operator's: promoting around it is a human's call. */
		snprintf(reason, sizeof(reason),
		    "primary \"%s\" of shard \"%s\" answers but is read-only (default_transaction_read_only is on): it takes no writes; no action on the shard until it is turned off or a switchover is planned",
		    topo->servers[primary].id, sid);
	} else {
		return;
	}
	alert(p, ALERT_CRITICAL, -1, shard, reason);
	p->ambiguous[shard] = 1;
}

/* ---- 3. failover and lost servers -------------------------------------- */

/* Is c a better candidate than best?  Ties: higher replayed LSN, then topology order. */
static int
better(const struct planner *p, int c, int best)
{
	uint64_t a, b;

	if (best < 0)
		return 1;
	a = wal_position(p, c);
	b = wal_position(p, best);
	if (a != b)
		return a > b;
	return p->obs[c]->replayed_lsn > p->obs[best]->replayed_lsn;
}

/*
 * The active replica to promote: one already answering as primary (an
 * interrupted promotion: promoting another would make two), else the most
 * advanced reachable one.  Reserves are never candidates.  *count: how many
 * were considered.
 */
static int
candidate(const struct planner *p, int shard, size_t *count)
{
	const struct topology *topo = p->topo;
	int seen = observed_primary(p, shard), best = -1;
	size_t i;

	*count = 0;
	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];
		enum health_role role = observed(p, (int)i);

		if (s->shard != shard || s->role != ROLE_REPLICA || s->state != SERVER_UP ||
		    (role != HEALTH_ROLE_REPLICA && role != HEALTH_ROLE_PRIMARY))
			continue;
		(*count)++;
		if (better(p, (int)i, best))
			best = (int)i;
	}
	return seen >= 0 && topo->servers[seen].role == ROLE_REPLICA ? seen : best;
}

/* Wipe (unless already wiped) and clone server as a reserve of shard; returns the clone. */
static struct action *
reclone(struct planner *p, int server, int shard, const char *why)
{
	const struct topology *topo = p->topo;
	int source = topology_shard_primary(p->res, shard);
	struct action *a;

	if (p->res->servers[server].state != SERVER_WIPED)
		effect(p, add(p, ACTION_WIPE, server, topo->servers[server].shard,
		    "%s: its data directory is wiped so it never rejoins with its old history", why));
	a = add(p, ACTION_CLONE, server, shard,
	    "%s: cloned from primary \"%s\" to join shard \"%s\" as a reserve (a read replica)",
	    why, topo->servers[source].id, topo->shards[shard].id);
	a->primary = source;
	depend(a, p->promoted[shard]);
	return effect(p, a);
}

/*
 * The other members follow the new primary.  One that received WAL beyond
 * the new primary's position cannot follow its timeline: it is re-cloned.
 * An unreachable one cannot be re-pointed now: an alert says so.
 */
static void
follow(struct planner *p, int shard, int primary, uint64_t position)
{
	const struct topology *topo = p->topo;
	char why[512], a_lsn[PROBE_LSN_TEXT_MAX], b_lsn[PROBE_LSN_TEXT_MAX];
	size_t i;

	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];
		struct action *a;

		if (s->shard != shard || (int)i == primary || s->role == ROLE_PRIMARY ||
		    !in_service(s->state) || lost(p, (int)i))
			continue;
		if (!reachable(p, (int)i)) {
			snprintf(why, sizeof(why),
			    "%s \"%s\" of shard \"%s\" is unreachable and still follows the old primary: re-point it to \"%s\" when it returns",
			    server_role_name(s->role), s->id, topo->shards[shard].id, topo->servers[primary].id);
			alert(p, ALERT_WARNING, (int)i, shard, why);
		} else if (wal_position(p, (int)i) > position) {
			snprintf(why, sizeof(why),
			    "%s \"%s\" received WAL up to %s, beyond the new primary's %s, so it cannot follow the new timeline",
			    server_role_name(s->role), s->id, lsn_text(wal_position(p, (int)i), a_lsn),
			    lsn_text(position, b_lsn));
			reclone(p, (int)i, shard, why);
		} else {
			a = add(p, ACTION_REPOINT, (int)i, shard,
			    "shard \"%s\" has a new primary \"%s\": %s \"%s\" streams from it",
			    topo->shards[shard].id, topo->servers[primary].id,
			    server_role_name(s->role), s->id);
			a->primary = primary;
			depend(a, p->promoted[shard]);
		}
	}
}

static void
failover(struct planner *p, int shard)
{
	const struct topology *topo = p->topo;
	int old = topology_shard_primary(topo, shard), best;
	char lsn[PROBE_LSN_TEXT_MAX], why[768];
	struct action *promote;
	size_t count;

	if (old < 0 || p->ambiguous[shard] || !lost(p, old))
		return;
	p->handled[old] = 1;
	snprintf(why, sizeof(why), "primary \"%s\" of shard \"%s\" unreachable for %lld consecutive probe%s (%s)",
	    topo->servers[old].id, topo->shards[shard].id,
	    (long long)p->in->failures[old], plural(p->in->failures[old]), why_unreachable(p, old));
	best = candidate(p, shard, &count);
	if (best < 0) {
		strncat(why, ": no active replica is reachable, so none is promoted; the shard takes no writes until one returns",
		    sizeof(why) - strlen(why) - 1);
		alert(p, ALERT_CRITICAL, old, shard, why);
		return;
	}
	effect(p, add(p, ACTION_FENCE, old, shard,
	    "%s: fenced so it can never acknowledge another write; if it returns it is wiped", why));
	if (observed(p, best) == HEALTH_ROLE_PRIMARY)
		promote = add(p, ACTION_PROMOTE, best, shard,
		    "%s: \"%s\" already answers as a primary, so its interrupted promotion is completed",
		    why, topo->servers[best].id);
	else
		promote = add(p, ACTION_PROMOTE, best, shard,
		    "%s: \"%s\" has the highest received LSN %s of the %zu reachable active replicas",
		    why, topo->servers[best].id, lsn_text(wal_position(p, best), lsn), count);
	/* The fence first: the old primary must not acknowledge a write once another one is primary. */
	depend(promote, p->last[old]);
	promote->primary = old;
	promote->lsn = observed(p, best) == HEALTH_ROLE_PRIMARY ? p->obs[best]->current_lsn :
	    wal_position(p, best);
	p->promoted[shard] = p->plan->count;
	effect(p, promote);
	follow(p, shard, best, promote->lsn);
}

static void
mark_lost(struct planner *p, int i)
{
	const struct topology *topo = p->topo;
	const struct topology_server *s = &topo->servers[i];
	char where[128] = "";
	struct action *a;

	if (s->shard >= 0)
		snprintf(where, sizeof(where), " of shard \"%s\"", topo->shards[s->shard].id);
	if (topo->mode == MODE_NO_REPLICATION && s->role == ROLE_PRIMARY && s->shard >= 0) {
		a = add(p, ACTION_MARK_DOWN, i, s->shard,
		    "server \"%s\", the only copy of shard \"%s\" (no-replication), unreachable for %lld consecutive probe%s (%s): the shard is marked down and its keys route to the next shard clockwise; rows stored only on \"%s\" are unavailable until it returns and lost if it never does",
		    s->id, topo->shards[s->shard].id, (long long)p->in->failures[i], plural(p->in->failures[i]),
		    why_unreachable(p, i), s->id);
		a->shard_down = a->data_loss = 1;
	} else {
		a = add(p, ACTION_MARK_DOWN, i, s->shard,
		    "%s \"%s\"%s unreachable for %lld consecutive probe%s (%s)",
		    s->role == ROLE_NONE ? "server" : server_role_name(s->role), s->id, where,
		    (long long)p->in->failures[i], plural(p->in->failures[i]), why_unreachable(p, i));
	}
	effect(p, a);
}

static void
lost_servers(struct planner *p)
{
	const struct topology *topo = p->topo;
	char why[512];
	size_t i;

	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];

		if (!lost(p, (int)i) || p->handled[i] || (s->shard >= 0 && p->ambiguous[s->shard]))
			continue;
		if (topo->mode == MODE_MULTI_MASTER) {
			snprintf(why, sizeof(why),
			    "server \"%s\" unreachable for %lld consecutive probe%s (%s): orchestrate plans no failover in multi-master mode",
			    s->id, (long long)p->in->failures[i], plural(p->in->failures[i]), why_unreachable(p, (int)i));
			alert(p, ALERT_WARNING, (int)i, -1, why);
		} else if (topo->mode == MODE_NO_REPLICATION || s->role != ROLE_PRIMARY) {
			mark_lost(p, (int)i);
		}
	}
}

/* ---- 4. servers that come back ----------------------------------------- */

/* The primary a shard's new members clone from, in the result; -1 when none is usable. */
static int
source_primary(const struct planner *p, int shard)
{
	int q = topology_shard_primary(p->res, shard);

	if (q < 0 || p->ambiguous[shard] || p->res->shards[shard].state != SHARD_ACTIVE)
		return -1;
	if (p->promoted[shard])
		return q;
	return p->res->servers[q].state == SERVER_UP && observed(p, q) == HEALTH_ROLE_PRIMARY ? q : -1;
}

static size_t
reserves_of(const struct topology *res, int shard)
{
	size_t i, n = 0;

	for (i = 0; i < res->server_count; i++)
		if (res->servers[i].shard == shard && res->servers[i].role == ROLE_RESERVE &&
		    res->servers[i].state == SERVER_UP)
			n++;
	return n;
}

/* The shard with the fewest reserves that can take one (first on ties), or -1. */
static int
fewest_reserves(const struct planner *p)
{
	size_t s, best_count = 0;
	int best = -1;

	if (p->topo->mode != MODE_PRIMARY_REPLICA)
		return -1;
	for (s = 0; s < p->res->shard_count; s++) {
		size_t n = reserves_of(p->res, (int)s);

		if (source_primary(p, (int)s) >= 0 && (best < 0 || n < best_count)) {
			best = (int)s;
			best_count = n;
		}
	}
	return best;
}

/*
 * No-replication: the returning server is the only copy its shard ever had,
 * so it comes back with its data (wiping it would turn an outage into a
 * loss); keys written while it was down went to the next shards clockwise
 * and stay there, out of sight, until moved back: an alert says so.
 */
static void
rejoin_unreplicated(struct planner *p, int i)
{
	const struct topology *topo = p->topo;
	const struct topology_server *s = &topo->servers[i];
	char why[512];

	if (s->role != ROLE_PRIMARY || s->shard < 0)
		return;
	if (observed(p, i) != HEALTH_ROLE_PRIMARY) {
		snprintf(why, sizeof(why), "server \"%s\" of no-replication shard \"%s\" answers again, but as a replica: no action",
		    s->id, topo->shards[s->shard].id);
		alert(p, ALERT_WARNING, i, s->shard, why);
		return;
	}
	effect(p, add(p, ACTION_MARK_ACTIVE, i, s->shard,
	    "server \"%s\", the only copy of no-replication shard \"%s\", answers again: it keeps its data and the shard is routed to again",
	    s->id, topo->shards[s->shard].id));
	snprintf(why, sizeof(why),
	    "keys of shard \"%s\" written while \"%s\" was down are on the shards after it clockwise and are not visible until moved back",
	    topo->shards[s->shard].id, s->id);
	alert(p, ALERT_WARNING, i, s->shard, why);
}

static void
rejoin(struct planner *p, int i)
{
	const struct topology *topo = p->topo;
	const struct topology_server *s = &topo->servers[i];
	char why[512];
	int dest;

	if (topo->mode == MODE_NO_REPLICATION) {
		rejoin_unreplicated(p, i);
		return;
	}
	if (s->role == ROLE_PRIMARY && s->shard >= 0) {
		/* Still the recorded primary (no replica was there to promote): its data is the shard's. */
		snprintf(why, sizeof(why),
		    "server \"%s\", still the recorded primary of shard \"%s\", answers again while marked %s: mark it up or fence it by hand",
		    s->id, topo->shards[s->shard].id, server_state_name(s->state));
		alert(p, ALERT_WARNING, i, s->shard, why);
		return;
	}
	dest = fewest_reserves(p);
	snprintf(why, sizeof(why), "server \"%s\" answers again after it was %s", s->id,
	    server_state_name(s->state));
	if (dest < 0) {
		strncat(why, ": no shard has a reachable primary to clone it from", sizeof(why) - strlen(why) - 1);
		alert(p, ALERT_WARNING, i, -1, why);
		return;
	}
	reclone(p, i, dest, why);
}

static void
returning_servers(struct planner *p)
{
	const struct topology *topo = p->topo;
	size_t i;

	if (topo->mode == MODE_MULTI_MASTER)
		return;
	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];

		if (in_service(s->state) || !reachable(p, (int)i) ||
		    (s->shard >= 0 && p->ambiguous[s->shard]))
			continue;
		rejoin(p, (int)i);
	}
}

/* ---- 5. the replication factor ----------------------------------------- */

static size_t
active_of(const struct topology *res, int shard)
{
	size_t i, n = 0;

	for (i = 0; i < res->server_count; i++)
		if (res->servers[i].shard == shard && res->servers[i].state == SERVER_UP &&
		    (res->servers[i].role == ROLE_PRIMARY || res->servers[i].role == ROLE_REPLICA))
			n++;
	return n;
}

static int
cloned_here(const struct planner *p, int i)
{
	return p->last[i] != 0 && p->plan->actions[p->last[i] - 1].kind == ACTION_CLONE;
}

/*
 * A reserve of shard that can be activated: one streaming now (the most
 * advanced first), else one this plan clones into the shard.
 */
static int
ready_reserve(const struct planner *p, int shard)
{
	const struct topology *res = p->res;
	int best = -1;
	size_t i;

	for (i = 0; i < res->server_count; i++) {
		const struct topology_server *s = &res->servers[i];
		int streaming = p->topo->servers[i].shard == shard &&
		    p->topo->servers[i].role == ROLE_RESERVE && !lost(p, (int)i) &&
		    observed(p, (int)i) == HEALTH_ROLE_REPLICA && !cloned_here(p, (int)i);

		if (s->shard != shard || s->role != ROLE_RESERVE || s->state != SERVER_UP ||
		    !(streaming || cloned_here(p, (int)i)))
			continue;
		if (best < 0 || (streaming && (cloned_here(p, best) || better(p, (int)i, best))))
			best = (int)i;
	}
	return best;
}

static void
activate(struct planner *p, int shard, int reserve, size_t active)
{
	const struct topology *topo = p->topo;
	struct action *a;

	a = add(p, ACTION_ACTIVATE_RESERVE, reserve, shard,
	    "shard \"%s\" has %zu of the %d active servers its replication factor requires: reserve \"%s\" becomes an active replica%s",
	    topo->shards[shard].id, active, topo->replication_factor, topo->servers[reserve].id,
	    cloned_here(p, reserve) ? " once it streams from the primary and has caught up" : "");
	depend(a, p->promoted[shard]);
	effect(p, a);
}

/* A reserve another shard can give: streaming in its own shard, untouched by this plan. */
static int
spare(const struct planner *p, int i, int shard)
{
	const struct topology_server *s = &p->topo->servers[i];

	return s->shard == shard && s->role == ROLE_RESERVE && s->state == SERVER_UP &&
	    p->last[i] == 0 && observed(p, i) == HEALTH_ROLE_REPLICA &&
	    (shard < 0 || !p->ambiguous[shard]);
}

/* A spare from the shard with the most (first on ties), or -1; *from: its shard. */
static int
donor(const struct planner *p, int needy, int *from)
{
	size_t s, i, most = 0;
	int pick = -1;

	for (s = 0; s < p->topo->shard_count; s++) {
		size_t n = 0;
		int first = -1;

		if ((int)s == needy)
			continue;
		for (i = 0; i < p->topo->server_count; i++)
			if (spare(p, (int)i, (int)s) && n++ == 0)
				first = (int)i;
		if (n > most) {
			most = n;
			pick = first;
			*from = (int)s;
		}
	}
	return pick;
}

static void
take_reserve(struct planner *p, int shard, int reserve, int from, size_t active)
{
	const struct topology *topo = p->topo;
	char why[512];

	effect(p, add(p, ACTION_DETACH, reserve, from,
	    "shard \"%s\" needs an active replica and has no reserve; shard \"%s\" has the most reserves (%zu): \"%s\" stops following its primary",
	    topo->shards[shard].id, topo->shards[from].id, reserves_of(p->res, from),
	    topo->servers[reserve].id));
	snprintf(why, sizeof(why), "reserve \"%s\" taken from shard \"%s\" for shard \"%s\"",
	    topo->servers[reserve].id, topo->shards[from].id, topo->shards[shard].id);
	reclone(p, reserve, shard, why);
	activate(p, shard, reserve, active);
}

/* Own reserves first for every shard, so no shard takes another's reserve it needs itself. */
static void
restore_factor(struct planner *p)
{
	const struct topology *topo = p->topo;
	size_t s, active;
	char why[512];
	int r, from;

	if (topo->mode != MODE_PRIMARY_REPLICA)
		return;
	for (s = 0; s < topo->shard_count; s++)
		while (source_primary(p, (int)s) >= 0 &&
		    (active = active_of(p->res, (int)s)) < (size_t)topo->replication_factor &&
		    (r = ready_reserve(p, (int)s)) >= 0)
			activate(p, (int)s, r, active);
	for (s = 0; s < topo->shard_count; s++) {
		while (source_primary(p, (int)s) >= 0 &&
		    (active = active_of(p->res, (int)s)) < (size_t)topo->replication_factor) {
			if ((r = donor(p, (int)s, &from)) < 0) {
				snprintf(why, sizeof(why),
				    "shard \"%s\" has %zu of the %d active servers its replication factor requires and no reserve can be taken: add servers",
				    topo->shards[s].id, active, topo->replication_factor);
				alert(p, ALERT_WARNING, -1, (int)s, why);
				break;
			}
			take_reserve(p, (int)s, r, from, active);
		}
	}
}

/* ---- 6. the reserve pool ----------------------------------------------- */

static void
check_pool(struct planner *p)
{
	size_t i, n = 0;
	char why[256];
	struct action *a;

	if (p->in->reserve_target <= 0 || p->topo->mode != MODE_PRIMARY_REPLICA)
		return;
	for (i = 0; i < p->res->server_count; i++)
		if (p->res->servers[i].role == ROLE_RESERVE && p->res->servers[i].state == SERVER_UP)
			n++;
	if ((int64_t)n >= p->in->reserve_target)
		return;
	snprintf(why, sizeof(why), "the reserve pool has %zu of its target %lld servers: add %lld",
	    n, (long long)p->in->reserve_target, (long long)(p->in->reserve_target - (int64_t)n));
	a = alert(p, ALERT_WARNING, -1, -1, why);
	a->servers_needed = p->in->reserve_target - (int64_t)n;
}

/* ---- the plan ---------------------------------------------------------- */

void
orchestrate_plan(const struct orchestrate_input *in, struct orchestrate_plan *plan)
{
	const struct topology *topo = in->topo;
	struct planner p = { 0 };
	size_t i;

	memset(plan, 0, sizeof(*plan));
	topology_copy(&plan->result, topo);
	p.in = in;
	p.topo = topo;
	p.plan = plan;
	p.res = &plan->result;
	p.obs = xcalloc(topo->server_count + 1, sizeof(*p.obs));
	p.last = xcalloc(topo->server_count + 1, sizeof(*p.last));
	p.handled = xcalloc(topo->server_count + 1, 1);
	p.promoted = xcalloc(topo->shard_count + 1, sizeof(*p.promoted));
	p.ambiguous = xcalloc(topo->shard_count + 1, 1);
	for (i = 0; i < topo->server_count; i++)
		p.obs[i] = health_doc_find(in->health, topo->servers[i].id);
	check_document(&p);
	if (!plan->mismatch) {
		for (i = 0; i < topo->shard_count; i++)
			check_shard(&p, (int)i);
		if (topo->mode == MODE_PRIMARY_REPLICA)
			for (i = 0; i < topo->shard_count; i++)
				failover(&p, (int)i);
		lost_servers(&p);
		returning_servers(&p);
		restore_factor(&p);
		check_pool(&p);
	}
	if (plan->changed)
		plan->result.version = topo->version + 1;
	free(p.obs);
	free(p.last);
	free(p.handled);
	free(p.promoted);
	free(p.ambiguous);
}

void
orchestrate_plan_free(struct orchestrate_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->count; i++)
		free(plan->actions[i].reason);
	free(plan->actions);
	topology_free(&plan->result);
	memset(plan, 0, sizeof(*plan));
}

int
orchestrate_exit_status(const struct orchestrate_plan *plan)
{
	if (plan->mismatch)
		return EXIT_STATUS_CONFLICT;
	return plan->count > 0 ? EXIT_STATUS_PLANNED : EXIT_STATUS_OK;
}
