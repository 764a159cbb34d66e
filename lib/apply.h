/* apply.h -- the executor: carry out a shardkit-actions/1 plan on real servers
 *
 * The planner (orchestrate.h) decides; this module acts.  Each action is
 * idempotent: its postcondition is checked first (when it already holds the
 * action is "already" done), then the action is carried out and the
 * postcondition checked again.  An action runs only once every action it
 * waits for (after) has succeeded; otherwise it is skipped, and so is
 * everything that waits for it.
 *
 * The topology is changed only through compare-and-swap on its version
 * (topology_save): the effects of the actions that succeeded are published
 * before any clone (a base backup takes long, and clients must find a new
 * primary at once) and at the end.  A stored topology that moved under the
 * executor is a conflict, never overwritten: the plan is stale, and the
 * next sweep plans again from what is stored.  Because every action is
 * idempotent and the planner recognises a half-done failover (a replica
 * already out of recovery is "promoted again"), an executor killed at any
 * point converges when the next plan is applied.
 *
 * Wipe and clone work on data directories on this host (server.h,
 * replica.h): plan-apply runs where the servers' data directories are.
 */
#ifndef SHARDKIT_APPLY_H
#define SHARDKIT_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "orchestrate.h"
#include "runas.h"
#include "topology.h"

/* What became of one action. */
enum apply_result {
	APPLY_DONE,     /* carried out; its postcondition holds now */
	APPLY_ALREADY,  /* its postcondition held before: nothing was done */
	APPLY_FAILED,
	APPLY_SKIPPED,  /* an action it waits for did not succeed */
};

/*
 * A decision-log line is handed to log (it must not keep the reference).
 * Lines are objects: per action {time, id, kind, server, shard, reason,
 * result, seconds, error}; per publication {time, event: "topology",
 * version, result}.  Callers print them (plan-apply) or add the sweep
 * number first (orchestrator).
 */
typedef void apply_log_fn(json_t *line, void *arg);

struct apply_options {
	const char *topology_location;  /* the topology file read and written */
	const struct config *cfg;       /* credentials, pg_bindir, timeouts */
	const struct runas *ra;         /* the servers' user (wipe, clone) */
	double timeout;                 /* seconds one action may wait */
	int sync_count;                 /* k of synchronous_standby_names ANY k (...) */
	apply_log_fn *log;
	void *log_arg;
};

/*
 * Carry out actions[0..count) of a plan made from topo (as loaded from
 * opt->topology_location; its version is the plan's topology_version).
 * Returns 0 when every action succeeded; otherwise the status of the first
 * failure: EXIT_STATUS_CONFLICT (the stored topology moved: nothing more is
 * done once that is seen), EXIT_STATUS_DOWN (a server an action needed was
 * unreachable), EXIT_STATUS_TIMEOUT, EXIT_STATUS_MISMATCH (a server was
 * not in the role the action needs) or EXIT_STATUS_FAILURE.  Every failure
 * is reported on stderr and in the action's log line.  *published is the
 * version last written, or topo->version when none was.
 */
int apply_plan(const struct topology *topo, const struct action *actions, size_t count,
    const struct apply_options *opt, int64_t *published);

const char *apply_result_name(enum apply_result result);

/*
 * The orchestrator lock: an exclusive flock on "LOCATION.orchestrator.lock",
 * beside the topology, held by whoever carries out plans (plan-apply, the
 * orchestrator loop) so that only one acts at a time.  With wait, blocks
 * until it is free; otherwise a lock held elsewhere is EXIT_STATUS_CONFLICT
 * after reporting which file (and the holder's pid, which the holder writes
 * into it).  Returns the descriptor to keep open (closing it releases the
 * lock), or -1 with *status set.
 */
int orchestrator_lock(const char *topology_location, int wait, int *status);

#endif
