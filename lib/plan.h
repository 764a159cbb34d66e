/* plan.h -- shard-plan's planner: new shards from new servers, shard removal
 *
 * A plan is computed from a topology alone (no I/O, no clock, no server):
 * which new servers are kept as reserves, which form new shards (one primary
 * and replication_factor - 1 replicas, spread over zones), where reserves
 * attach, the ring tokens the new shards get, and every token range that
 * changes owner between the ring before and the ring after.  The plan holds
 * the resulting topology, so applying it is writing plan.result.  The plan
 * document (plan_to_json) is described in man/shard-plan.1.
 */
#ifndef SHARDKIT_PLAN_H
#define SHARDKIT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "reserve.h"
#include "ring.h"
#include "topology.h"

#define PLAN_FORMAT "shardkit-plan/1"
#define PLAN_DEFAULT_PREFIX "s"
#define PLAN_DEFAULT_CONFIDENCE 0.99

enum plan_action {
	PLAN_ADD,            /* form shards from new servers, keep the reserve target */
	PLAN_REMOVE_SHARD,   /* hand a shard's ranges to its successors */
};

/* Where the reserve target comes from. */
enum plan_reserve_source {
	PLAN_RESERVE_DEFAULT,    /* neither given: 0 */
	PLAN_RESERVE_GIVEN,      /* --reserve N */
	PLAN_RESERVE_COMPUTED,   /* reserve_compute over the resulting server count */
};

struct plan_options {
	enum plan_action action;
	enum plan_reserve_source reserve_source;
	uint64_t reserve;           /* PLAN_RESERVE_GIVEN */
	double crash_prob;          /* PLAN_RESERVE_COMPUTED: P a server is down on a day */
	double confidence;          /* PLAN_RESERVE_COMPUTED, 0 < C < 1 */
	double mtbf_days;           /* > 0 when crash_prob came from these two */
	double repair_days;
	const char *shard_prefix;   /* new shard ids are PREFIX<n>; NULL for "s" */
	const char *remove_shard;   /* PLAN_REMOVE_SHARD: the shard's id */
};

/* A shard the plan creates; indexes refer to plan.result. */
struct plan_shard {
	int shard;
	int primary;
	int *replicas;
	size_t replica_count;
};

/* A server that becomes, or stays, a reserve with a (new) attachment. */
struct plan_reserve {
	int server;     /* index in plan.result */
	int shard;      /* index in plan.result, -1 for a spare with no shard */
};

/* The ranges moving from one owner to another, in ring order. */
struct plan_move {
	char *from;                 /* owner id in the ring before */
	char *to;                   /* owner id in the ring after */
	struct token_range *ranges;
	size_t range_count;
	double fraction;            /* of the whole ring */
};

/* How much of the ring one owner gives (moved_from) or takes (moved_to). */
struct plan_total {
	char *owner;
	double fraction;
};

struct plan {
	enum plan_action action;
	int64_t base_version;
	int replication_factor;     /* X used: 1 in no-replication mode */
	uint64_t reserve_target;
	enum plan_reserve_source reserve_source;
	struct reserve_request reserve_request;   /* PLAN_RESERVE_COMPUTED */
	struct reserve_result reserve_model;      /* PLAN_RESERVE_COMPUTED */
	double mtbf_days, repair_days;            /* as in plan_options */
	uint64_t reserve_count;     /* reserves in the result that are up */
	struct plan_shard *new_shards;
	size_t new_shard_count;
	int *new_members;           /* multi-master: servers put on the ring */
	size_t new_member_count;
	struct plan_reserve *reserves;
	size_t reserve_assignment_count;
	char *removed_shard;        /* PLAN_REMOVE_SHARD: its id */
	int *removed_servers;       /* PLAN_REMOVE_SHARD: its servers (result indexes) */
	size_t removed_server_count;
	int *unassigned;            /* servers left without a role or a ring place */
	size_t unassigned_count;
	struct plan_move *moves;
	size_t move_count;
	struct plan_total *moved_from;
	size_t moved_from_count;
	struct plan_total *moved_to;
	size_t moved_to_count;
	double moved_fraction;
	char **notes;               /* what the plan could not do, in words */
	size_t note_count;
	struct topology result;     /* the topology after the plan */
};

/*
 * Plan the change options asks for on topo, which must be a valid, loaded
 * topology (it is not modified).  On success returns 0 and fills *plan
 * (caller frees with plan_free).  On failure returns the exit status to use
 * (EXIT_STATUS_INPUT: the shard to remove is unknown or the last one;
 * EXIT_STATUS_USAGE: options out of range), writes one line saying why to
 * error (no program name, no newline), leaves *plan empty and reports
 * nothing itself.  Too few new servers is not a failure: the plan forms
 * fewer shards (possibly none) and says so in plan.notes.
 */
int plan_build(const struct topology *topo, const struct plan_options *options,
    struct plan *plan, char *error, size_t error_size);

/*
 * The moves between two topologies of one cluster: every range whose ring
 * owner differs between the ring of before and the ring of after (owners
 * matched by id), grouped by (from, to) in ring order, into plan->moves,
 * moved_from, moved_to and moved_fraction (which must be empty).  With no
 * ring before (the first shards) or none after, nothing moves.
 */
void plan_moves(const struct topology *before, const struct topology *after,
    struct plan *plan);

/*
 * 1 when PREFIX<n> is a valid shard id for every n up to nine digits, the
 * check --shard-prefix needs before any topology is read.
 */
int plan_prefix_valid(const char *prefix);

/* The plan document, "format": "shardkit-plan/1" (new reference). */
json_t *plan_to_json(const struct plan *plan);

void plan_free(struct plan *plan);

/*
 * The ids of the ring owners of topo, indexed like ring.owner: shard ids, or
 * server ids in multi-master mode.  Points into topo; caller frees the array.
 */
const char **plan_owner_ids(const struct topology *topo);

#endif
