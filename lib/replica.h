/* replica.h -- streaming replicas: attach, re-point, and the synchronous set
 *
 * A replica (or a reserve) is a server provisioned by server-init whose
 * data directory is replaced by a base backup of its shard's primary, taken
 * through a physical replication slot the primary keeps for it, and which
 * then streams from that primary.  Re-pointing a running replica to another
 * primary (after a failover) changes primary_conninfo and primary_slot_name
 * with ALTER SYSTEM and a reload: PostgreSQL 15 needs no restart for that.
 *
 * Durability: the primary's synchronous_standby_names is kept as
 * ANY k ("r1", "r2", ...) over the shard's active replicas, so a commit is
 * acknowledged only once it is on the primary and on k replicas; reserves
 * are never in the set.
 */
#ifndef SHARDKIT_REPLICA_H
#define SHARDKIT_REPLICA_H

#include <jansson.h>
#include <libpq-fe.h>

#include "config.h"
#include "runas.h"
#include "topology.h"

/* Files replica-attach keeps in a replica's data directory. */
#define REPLICA_PASSFILE "shardkit-replication.pgpass"  /* primary_conninfo's passfile */

/* What to attach, to what, and how long to wait. */
struct replica_request {
	const char *server;     /* the replica's id */
	const char *primary;    /* the primary's id, or NULL: its shard's primary */
	int sync_count;         /* k of ANY k (...), at least 1 */
	double timeout;         /* seconds to wait for a start, a stop, streaming */
};

/* What was done; every string owned by the result. */
struct replica_result {
	char *server;
	char *primary;
	char *slot;
	char *action;           /* "cloned", "repointed" or "unchanged" */
	char *lsn;              /* the replica's last replayed LSN */
	char *sync_names;       /* the primary's synchronous_standby_names now */
	char *former_server;    /* the upstream it left (NULL: none, or not in the topology) */
	char *former_result;    /* NULL when it left none; else what became of its slot
	                         * there: "dropped", "absent", "unreachable" (left: it is
	                         * wiped when it returns), "failed", "unknown" (the
	                         * upstream is not in the topology) */
};

/*
 * Make request->server (role replica or reserve, with a data_directory on
 * this host) stream from its primary: clone it when it is not a replica of
 * that primary's cluster, re-point it when it streams from another server
 * of that cluster, and leave it when it already streams from the primary.
 * Then set the primary's synchronous_standby_names (replica_sync_names).
 * Once it streams, the slot named for it on the server it streamed from
 * before (a former upstream that lives on) is dropped, so that server does
 * not keep WAL for it forever; one that cannot be reached keeps it, with a
 * warning (it is wiped when it returns).
 * Every step is idempotent and an interrupted run converges when rerun: the
 * old data directory is replaced only once the clone is complete.
 * Returns 0 with res filled (free with replica_result_free), or an exit
 * status after reporting: EXIT_STATUS_INPUT (the topology cannot name such
 * a replica), EXIT_STATUS_CONFIG (no replication password), EXIT_STATUS_DOWN
 * (the primary cannot be reached), EXIT_STATUS_MISMATCH (the primary is in
 * recovery or read-only), EXIT_STATUS_CONFLICT (the replica's history diverged from the
 * primary's, or its data directory belongs to another server),
 * EXIT_STATUS_TIMEOUT (not streaming within the timeout, the base backup
 * not done within it, or the slot held by another process that long), or
 * EXIT_STATUS_FAILURE.
 */
int replica_attach(const struct topology *topo, const struct replica_request *request,
    const struct config *cfg, const struct runas *ra, struct replica_result *res);

/*
 * { server, primary, slot, state: "streaming", action, lsn,
 *   synchronous_standby_names, former_upstream: null | { server, slot, result } }.
 */
json_t *replica_result_json(const struct replica_result *res);
void replica_result_free(struct replica_result *res);

/*
 * The physical replication slot a replica streams through: "shardkit_" and
 * its id, lowercased, with every character other than [a-z0-9_] turned
 * into '_'; when that changed the id or would pass 63 bytes, a shortened
 * form followed by '_' and 8 hex digits of a hash of the id, so two ids
 * never share a slot.  Caller frees.
 */
char *replica_slot_name(const char *id);

/*
 * The synchronous_standby_names a shard's primary should have:
 * ANY k ("id1", "id2") over the servers of shard with role replica, in
 * topology order, other than primary (the server acting as primary, which
 * may still be listed as a replica during a failover).  k is capped at the
 * number of such replicas; with none, "" (commits are not waited for).
 * Caller frees.
 */
char *replica_sync_names(const struct topology *topo, int shard, int primary, int k);

/*
 * Over conn (a superuser connection to the primary), make value the
 * primary's synchronous_standby_names: ALTER SYSTEM and pg_reload_conf(),
 * skipped when it is already set.  label names the server in messages.
 * Returns 0, or EXIT_STATUS_FAILURE after reporting.
 */
int replica_sync_apply(PGconn *conn, const char *label, const char *value);

/*
 * replica_sync_names for shard and primary (a server index), applied to
 * that primary over its topology conninfo with cfg's credentials_file.
 * Returns 0, EXIT_STATUS_DOWN when it cannot be reached, or
 * EXIT_STATUS_FAILURE; always after reporting.
 */
int replica_sync_set(const struct topology *topo, int shard, int primary, int k,
    const struct config *cfg);

/*
 * Create the physical slot on the primary over conn, reserving WAL at once;
 * a slot that exists already is kept.  Returns 0 or EXIT_STATUS_FAILURE.
 */
int replica_slot_ensure(PGconn *conn, const char *label, const char *slot);

#endif
