/* replica_local.h -- what replica.c and replica_clone.c share (not public) */
#ifndef SHARDKIT_REPLICA_LOCAL_H
#define SHARDKIT_REPLICA_LOCAL_H

#include <libpq-fe.h>

#include "config.h"
#include "runas.h"
#include "server.h"
#include "topology.h"

/* How a replica reaches its primary, and with what. */
struct replica_link {
	char *conninfo;         /* primary_conninfo: never a password, passfile= */
	const char *slot;       /* primary_slot_name */
	const char *password;   /* the replication role's, for the passfile */
	const char *user;       /* the replication role */
	const char *primary_id; /* the primary's id, for messages */
};

/*
 * The primary_conninfo for a replica: primary_conninfo's host, port and TLS
 * settings, with user, application_name (the replica's id, the name
 * synchronous_standby_names uses) and passfile set.  NULL with why in
 * errbuf when the primary's conninfo does not parse.  Caller frees.
 */
char *replica_link_conninfo(const char *primary_conninfo, const char *user,
    const char *application_name, const char *passfile, char *errbuf, size_t errlen);

/* "DATADIR/" REPLICA_PASSFILE; caller frees. */
char *replica_passfile_path(const char *data_directory);

/* Write the replica's passfile (one wildcard line) into dir, as the server's user. */
int replica_write_passfile(const char *dir, const struct runas *ra, const char *user,
    const char *password);

/*
 * Finish or undo an interrupted swap of DATADIR with its clone, and remove
 * a partial clone: afterwards DATADIR is whole (or absent when it was) and
 * no temporary is left.  Returns 0, or -1 after reporting.
 */
int replica_recover(const char *data_directory, const struct config *cfg,
    const struct runas *ra, double timeout);

/*
 * Replace spec's data directory with a base backup of the primary through
 * link, configured as spec's standby of that primary, and start it.  The
 * old directory is removed only after the new one is complete and in place.
 * The base backup is bounded by spec->timeout.  Returns 0, or after
 * reporting EXIT_STATUS_TIMEOUT (the base backup was killed at its deadline
 * and its partial copy removed; the old directory is whole, stopped) or
 * EXIT_STATUS_FAILURE.
 */
int replica_clone(const struct server_spec *spec, const struct replica_link *link,
    const struct config *cfg, const struct runas *ra);

/*
 * The server of topo whose conninfo has this host and port (the port
 * "5432" when a conninfo names none), or -1.
 */
int replica_topology_match(const struct topology *topo, const char *host, const char *port);

/* Where a replica streamed from before replica-attach changed it. */
struct replica_former {
	int server;             /* its index in the topology, or -1 */
	char host[256];         /* "" when the replica had no upstream */
	char port[32];
	const char *result;     /* set by replica_former_release: "dropped",
	                         * "absent", "unreachable", "failed", "unknown" */
};

/*
 * Read the replica's upstream over replica (a connection to it; label
 * names it): its primary_conninfo's host and port, else its WAL receiver's
 * sender, matched to a server of topo.  Returns 0 (f->host "" when it has
 * none), or EXIT_STATUS_FAILURE after reporting.
 */
int replica_former_find(PGconn *replica, const char *label, const struct topology *topo,
    struct replica_former *f);

/*
 * Drop the physical slot named slot on f's server (the replica's former
 * upstream, no longer needed: call once the replica streams from another),
 * terminating a walsender that still holds it, within timeout seconds
 * (connecting within cfg's probe_timeout).
 * Never fails the caller: sets f->result, and warns when the slot is left
 * (the server cannot be reached, is not in the topology, or refused).
 */
void replica_former_release(const struct topology *topo, struct replica_former *f,
    const char *replica, const char *slot, const struct config *cfg, double timeout);

/* pg_ctl status/start/stop of the server in dir, as the server's user. */
int replica_server_running(const char *dir, const struct config *cfg, const struct runas *ra);
int replica_server_start(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout);
int replica_server_stop(const char *dir, const struct config *cfg, const struct runas *ra,
    double timeout);

#endif
