/* replica_sync.c -- on the primary: replication slots and the synchronous set
 *
 * Both are kept idempotently, so plan-apply can call them after every
 * change of a shard's membership: a slot that exists is kept (its WAL
 * position is the replica's), and synchronous_standby_names is written only
 * when it differs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <xxhash.h>

#include "config.h"
#include "conn.h"
#include "error.h"
#include "replica.h"
#include "topology.h"

#define SLOT_PREFIX "shardkit_"
#define SLOT_NAME_MAX 63        /* NAMEDATALEN - 1 */
#define SLOT_HASHED_KEEP 44     /* of the sanitised id, before "_" and 8 hex digits */

char *
replica_slot_name(const char *id)
{
	size_t n = strlen(id), i, keep;
	char *clean = xmalloc(n + 1), *slot;
	int changed = 0;

	for (i = 0; i < n; i++) {
		char c = id[i];

		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			changed = 1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
			c = '_';
			changed = 1;
		}
		clean[i] = c;
	}
	clean[n] = '\0';
	slot = xmalloc(SLOT_NAME_MAX + 1);
	if (!changed && strlen(SLOT_PREFIX) + n <= SLOT_NAME_MAX) {
		snprintf(slot, SLOT_NAME_MAX + 1, SLOT_PREFIX "%s", clean);
	} else {
		/* "pg-1" and "pg.1" must not share a slot: the hash keeps them apart. */
		keep = n < SLOT_HASHED_KEEP ? n : SLOT_HASHED_KEEP;
		snprintf(slot, SLOT_NAME_MAX + 1, SLOT_PREFIX "%.*s_%08x", (int)keep, clean,
		    (unsigned)(XXH3_64bits(id, n) & 0xffffffffu));
	}
	free(clean);
	return slot;
}

char *
replica_sync_names(const struct topology *topo, int shard, int primary, int k)
{
	size_t i, count = 0, len = 32;
	char *out, *p;

	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];

		if (s->shard == shard && s->role == ROLE_REPLICA && (int)i != primary) {
			count++;
			len += strlen(s->id) + 4;
		}
	}
	if (count == 0)
		return xstrdup("");
	if (k > (int)count)
		k = (int)count;
	if (k < 1)
		k = 1;
	out = xmalloc(len);
	p = out + sprintf(out, "ANY %d (", k);
	count = 0;
	for (i = 0; i < topo->server_count; i++) {
		const struct topology_server *s = &topo->servers[i];

		/* Quoted: ids may hold '.' or '-', and case must be kept. */
		if (s->shard == shard && s->role == ROLE_REPLICA && (int)i != primary)
			p += sprintf(p, "%s\"%s\"", count++ > 0 ? ", " : "", s->id);
	}
	strcpy(p, ")");
	return out;
}

/* Run a command; 0, or EXIT_STATUS_FAILURE after reporting what failed. */
static int
command(PGconn *conn, const char *label, const char *what, const char *sql,
    int nparams, const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		error_report("could not %s on \"%s\": %s", what, label,
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL ?
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : EXIT_STATUS_FAILURE;
}

int
replica_sync_apply(PGconn *conn, const char *label, const char *value)
{
	PGresult *res;
	char *literal, *sql;
	size_t n;
	int same, status;

	res = PQexec(conn, "SELECT current_setting('synchronous_standby_names')");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		error_report("could not read synchronous_standby_names on \"%s\": %s", label,
		    PQerrorMessage(conn));
		PQclear(res);
		return EXIT_STATUS_FAILURE;
	}
	same = strcmp(PQgetvalue(res, 0, 0), value) == 0;
	PQclear(res);
	if (same)
		return 0;
	/* ALTER SYSTEM takes no parameters: the value goes in as a literal. */
	literal = PQescapeLiteral(conn, value, strlen(value));
	if (literal == NULL) {
		error_report("could not quote synchronous_standby_names for \"%s\": %s", label,
		    PQerrorMessage(conn));
		return EXIT_STATUS_FAILURE;
	}
	n = strlen(literal) + 64;
	sql = xmalloc(n);
	snprintf(sql, n, "ALTER SYSTEM SET synchronous_standby_names = %s", literal);
	PQfreemem(literal);
	status = command(conn, label, "set synchronous_standby_names", sql, 0, NULL);
	free(sql);
	if (status == 0)
		status = command(conn, label, "reload the configuration", "SELECT pg_reload_conf()",
		    0, NULL);
	return status;
}

int
replica_slot_ensure(PGconn *conn, const char *label, const char *slot)
{
	const char *params[] = { slot };

	/* A logical slot of this name is not ours: creating it then fails. */
	return command(conn, label, "create replication slot",
	    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1"
	    " AND slot_type = 'physical') THEN NULL"
	    " ELSE pg_create_physical_replication_slot($1, true) END", 1, params);
}

int
replica_sync_set(const struct topology *topo, int shard, int primary, int k,
    const struct config *cfg)
{
	const struct topology_server *p = &topo->servers[primary];
	char *names = replica_sync_names(topo, shard, primary, k);
	PGconn *conn = conn_open(p->conninfo, p->id, cfg->credentials_file,
	    cfg->connect_timeout, "postgres");
	int status = EXIT_STATUS_DOWN;

	if (conn != NULL) {
		status = replica_sync_apply(conn, p->id, names);
		PQfinish(conn);
	}
	free(names);
	return status;
}
