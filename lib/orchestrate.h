/* orchestrate.h -- the failover planner: topology and health in, actions out
 *
 * Pure decision logic (issue 4, section 2): nothing here talks to a server.
 * The planner reads a topology, a health document (health_read.h) and the
 * consecutive failed-probe count of each server, and returns a list of
 * actions, each with its reason and the actions it must wait for, plus the
 * topology that results when all of them succeed.  Every action kind is
 * idempotent to carry out and has a postcondition an executor can check
 * (man/shardkit-actions.5), so a plan interrupted half-way is completed by
 * running the next plan, as pg_auto_failover reruns an FSM edge.
 */
#ifndef SHARDKIT_ORCHESTRATE_H
#define SHARDKIT_ORCHESTRATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "health_read.h"
#include "topology.h"

#define ACTIONS_FORMAT "shardkit-actions/1"
#define FAILURE_STATE_FORMAT "shardkit-orchestrate-state/1"
#define ORCHESTRATE_DEFAULT_THRESHOLD 3
#define ORCHESTRATE_MAX_AFTER 4

enum action_kind {
	ACTION_PROMOTE,
	ACTION_REPOINT,
	ACTION_FENCE,
	ACTION_ACTIVATE_RESERVE,
	ACTION_DETACH,
	ACTION_WIPE,
	ACTION_CLONE,
	ACTION_MARK_DOWN,
	ACTION_MARK_ACTIVE,
	ACTION_ALERT,
};

enum alert_severity { ALERT_NONE, ALERT_WARNING, ALERT_CRITICAL };

/*
 * One action.  Indices refer to the input topology (servers and shards keep
 * their indices in the resulting topology); -1 when a field does not apply.
 * Which fields a kind uses is listed in man/shardkit-actions.5.
 */
struct action {
	enum action_kind kind;
	int server;             /* the server acted on */
	int shard;              /* its shard (detach: the shard it leaves) */
	int primary;            /* promote: the old primary; repoint, clone: the primary to follow */
	uint64_t lsn;           /* promote: the candidate's received (or replayed) LSN */
	int shard_down;         /* mark_down: the shard is marked down too (no-replication) */
	int data_loss;          /* mark_down of a no-replication shard, some alerts */
	enum alert_severity severity;
	int64_t servers_needed; /* alert for the reserve pool: servers to add; else 0 */
	size_t after[ORCHESTRATE_MAX_AFTER];    /* indices of earlier actions */
	size_t after_count;
	char *reason;
};

struct orchestrate_input {
	const struct topology *topo;
	const struct health_doc *health;
	const int64_t *failures;    /* per topology server, this sweep included */
	int64_t failure_threshold;  /* >= 1 */
	int64_t reserve_target;     /* 0: no reserve-pool alert */
};

struct orchestrate_plan {
	struct action *actions;
	size_t count;
	size_t capacity;
	int mismatch;           /* the health document does not describe this topology */
	int changed;            /* some action changes the topology */
	struct topology result; /* the topology once every action succeeded */
};

/*
 * Plan: fill plan (caller frees it with orchestrate_plan_free) from in.
 * When the health document does not describe the topology (another
 * topology_version, a server unknown to either side), the plan holds
 * alerts only and mismatch is set.  Never fails: allocation failure exits.
 */
void orchestrate_plan(const struct orchestrate_input *in, struct orchestrate_plan *plan);
void orchestrate_plan_free(struct orchestrate_plan *plan);

/*
 * The shardkit-actions/1 document for plan (new reference): the input's
 * topology version, the sweep's time, the threshold, the actions and the
 * resulting topology (its version one higher when changed).
 */
json_t *orchestrate_plan_json(const struct orchestrate_plan *plan,
    const struct orchestrate_input *in);

/*
 * ---- a plan read back (action_read.c) ----
 *
 * The reader of the document above, for executors (plan-apply): the
 * actions exactly as orchestrate_plan produced them, with server and shard
 * ids looked up in the topology the plan was made from.  Whether that
 * topology still has topology_version is the executor's question (a stale
 * plan), not the reader's.
 */
struct action_list {
	int64_t topology_version;
	char *health_probed_at;
	struct action *actions;
	size_t count;
};

/*
 * Fill list (caller frees it with action_list_free) from doc, a
 * shardkit-actions/1 document, against topo.  Every problem is added to
 * problems with its JSON path (actions[2].server): a wrong format, an
 * unknown kind, a member the kind needs that is missing or mistyped, an id
 * unknown to topo, an id out of order ("a1", "a2", ... by position) or
 * repeated, an after naming anything but an earlier action or more than
 * ORCHESTRATE_MAX_AFTER of them.  Members a kind does not use, and members
 * unknown to this reader (the topology among them), are ignored.  Returns
 * 0, or -1 with list empty.
 */
int actions_from_json(const json_t *doc, const struct topology *topo,
    struct action_list *list, struct problems *problems);

/*
 * Read the document at location (a file, or "-" for standard input) as
 * topology_load reads a topology: syntax errors reported as
 * SOURCE:LINE:COLUMN, validation errors as "SOURCE: json.path: message".
 * Returns 0, EXIT_STATUS_INPUT (a bad document) or EXIT_STATUS_FAILURE
 * (it cannot be read).
 */
int actions_load(const char *location, const struct topology *topo,
    struct action_list *list);
void action_list_free(struct action_list *list);

/*
 * EXIT_STATUS_CONFLICT when the health document does not describe the
 * topology, else EXIT_STATUS_PLANNED when there is any action (alerts
 * included), else EXIT_STATUS_OK.
 */
int orchestrate_exit_status(const struct orchestrate_plan *plan);

/*
 * The effect of one action on a topology, as man/shardkit-actions.5 gives
 * it for each kind: what the planner's resulting topology holds once that
 * action has succeeded.  Server and shard indices are topo's.
 */
void action_effect(struct topology *topo, const struct action *a);

const char *action_kind_name(enum action_kind kind);

/*
 * Consecutive failed probes per server, carried between runs in a small
 * JSON document (--state): the counts and the probed_at of the sweep last
 * counted, so the same health document read twice counts once.
 */
struct failure_state {
	char *probed_at;        /* NULL when nothing was counted yet */
	char **ids;
	int64_t *failures;
	size_t count;
};

/*
 * Read the state at path.  A file that does not exist is an empty state
 * (the first run); otherwise as json_document_load, with validation
 * problems reported as "PATH: json.path: message".  Returns 0,
 * EXIT_STATUS_FAILURE or EXIT_STATUS_INPUT.
 */
int failure_state_load(const char *path, struct failure_state *state);
int failure_state_from_json(const json_t *json, struct failure_state *state,
    struct problems *problems);
json_t *failure_state_to_json(const struct failure_state *state);
/* Replace path atomically (file.h).  Returns 0, or -1 after reporting. */
int failure_state_save(const struct failure_state *state, const char *path);
void failure_state_free(struct failure_state *state);

/*
 * Count this sweep: counts[i] for topo->servers[i] is 0 when the server was
 * reachable, else its previous count plus one (previous: from prev, 0 when
 * absent).  When prev already counted this sweep (same probed_at), counts
 * are not incremented again.  A server missing from the health document
 * counts 0.  next receives the new state (servers of the topology only,
 * zero counts omitted); prev may be NULL (each run counts one probe).
 */
void failure_state_count(const struct failure_state *prev, const struct topology *topo,
    const struct health_doc *health, int64_t *counts, struct failure_state *next);

#endif
