/* replica_upstream.c -- the slot a replica leaves behind on its former upstream
 *
 * A physical slot keeps every WAL segment its consumer has not confirmed.
 * When a replica is re-pointed (or cloned) away from a server that lives
 * on, the slot that server kept for it would pin WAL there forever: no one
 * will ever consume it again.  So once the replica streams from its new
 * primary, the slot named for it on the former upstream is dropped.  The
 * former upstream is what the replica said before it was changed (its
 * primary_conninfo, and its WAL receiver's sender), matched to a server of
 * the topology by host and port.  One that cannot be reached keeps the slot:
 * a server that was down is wiped when it returns, slots and all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "config.h"
#include "conn.h"
#include "error.h"
#include "replica.h"
#include "replica_local.h"
#include "topology.h"

int
replica_topology_match(const struct topology *topo, const char *host, const char *port)
{
	char h[256], p[32], why[256];
	size_t i;

	if (host == NULL || host[0] == '\0')
		return -1;
	for (i = 0; i < topo->server_count; i++) {
		if (conninfo_inspect(topo->servers[i].conninfo, h, sizeof(h), p, sizeof(p),
		    why, sizeof(why)) != 0)
			continue;
		if (strcmp(h, host) == 0 && strcmp(p, port) == 0)
			return (int)i;
	}
	return -1;
}

/* Remember host and port, and the server of topo they name. */
static void
former_set(struct replica_former *f, const struct topology *topo, const char *host,
    const char *port)
{
	snprintf(f->host, sizeof(f->host), "%s", host);
	snprintf(f->port, sizeof(f->port), "%s", port);
	f->server = replica_topology_match(topo, host, port);
}

int
replica_former_find(PGconn *replica, const char *label, const struct topology *topo,
    struct replica_former *f)
{
	PGresult *res = PQexec(replica, "SELECT current_setting('primary_conninfo'),"
	    " coalesce(sender_host, ''), coalesce(sender_port::text, '')"
	    " FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver ON true");
	char host[256], port[32], why[256];

	memset(f, 0, sizeof(*f));
	f->server = -1;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		error_report("query on \"%s\" failed: %s", label, PQerrorMessage(replica));
		PQclear(res);
		return EXIT_STATUS_FAILURE;
	}
	/* What it was told first; what it connected to when that names no server. */
	if (PQgetvalue(res, 0, 0)[0] != '\0' && conninfo_inspect(PQgetvalue(res, 0, 0), host,
	    sizeof(host), port, sizeof(port), why, sizeof(why)) == 0 && host[0] != '\0')
		former_set(f, topo, host, port);
	if (f->server < 0 && PQgetvalue(res, 0, 1)[0] != '\0')
		former_set(f, topo, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	PQclear(res);
	return 0;
}

/* Connect without reporting: an unreachable former upstream is a warning, not an error. */
static PGconn *
connect_quietly(const char *conninfo, const struct config *cfg, char *why, size_t whylen)
{
	struct conn_params params;
	PGconn *conn;

	/* probe_timeout: a frozen former primary must not hold up a failover. */
	if (conn_params_init(&params, conninfo, cfg->credentials_file, cfg->probe_timeout,
	    "postgres", why, whylen) != 0)
		return NULL;
	conn = PQconnectdbParams(params.keywords, params.values, 0);
	conn_params_free(&params);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return conn;
	conn_error_line(conn != NULL ? PQerrorMessage(conn) : "out of memory", why, whylen);
	PQfinish(conn);
	return NULL;
}

/* Run sql with slot as $1: 1 when it gave tuples or a command tag, 0 on an error (why set). */
static int
slot_query(PGconn *conn, const char *sql, const char *slot, PGresult **out, char *why,
    size_t whylen)
{
	const char *params[] = { slot };
	PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		conn_error_line(PQerrorMessage(conn), why, whylen);
	*out = res;
	return ok;
}

/*
 * Drop slot over conn.  A walsender of the replica's old connection may
 * still hold it for a moment; nothing else may use this replica's slot, so
 * one that lingers is terminated.  Returns "dropped", "absent" or "failed"
 * (with why).
 */
static const char *
drop_slot(PGconn *conn, const char *slot, double timeout, char *why, size_t whylen)
{
	double deadline = clock_seconds() + timeout;
	const char *result = NULL;
	PGresult *res;

	while (result == NULL) {
		if (!slot_query(conn, "SELECT active_pid::text FROM pg_replication_slots"
		    " WHERE slot_name = $1", slot, &res, why, whylen)) {
			PQclear(res);
			return "failed";
		}
		if (PQntuples(res) == 0)
			result = "absent";
		else if (!PQgetisnull(res, 0, 0)) {
			PQclear(res);
			if (slot_query(conn, "SELECT pg_terminate_backend(active_pid)"
			    " FROM pg_replication_slots WHERE slot_name = $1", slot, &res, why, whylen))
				snprintf(why, whylen, "it is still in use");
		} else {
			PQclear(res);
			/* An error here is a walsender that took it again: try once more. */
			if (slot_query(conn, "SELECT pg_drop_replication_slot($1)", slot, &res, why,
			    whylen))
				result = "dropped";
		}
		PQclear(res);
		if (result == NULL && clock_seconds() >= deadline)
			result = "failed";
		else if (result == NULL)
			nanosleep(&(struct timespec){ 0, 200 * 1000 * 1000 }, NULL);
	}
	return result;
}

void
replica_former_release(const struct topology *topo, struct replica_former *f,
    const char *replica, const char *slot, const struct config *cfg, double timeout)
{
	const char *id;
	char why[512];
	PGconn *conn;

	if (f->server < 0) {
		f->result = "unknown";
		error_warning("\"%s\" streamed from %s port %s, which is no server of the topology: a replication slot \"%s\" there is left",
		    replica, f->host, f->port, slot);
		return;
	}
	id = topo->servers[f->server].id;
	conn = connect_quietly(topo->servers[f->server].conninfo, cfg, why, sizeof(why));
	if (conn == NULL) {
		f->result = "unreachable";
		error_warning("replication slot \"%s\" is left on \"%s\", the former upstream of \"%s\": it cannot be reached (%s); it is wiped when it returns",
		    slot, id, replica, why);
		return;
	}
	f->result = drop_slot(conn, slot, timeout, why, sizeof(why));
	if (strcmp(f->result, "failed") == 0)
		error_warning("could not drop replication slot \"%s\" on \"%s\", the former upstream of \"%s\": %s",
		    slot, id, replica, why);
	PQfinish(conn);
}
