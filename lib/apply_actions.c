/* apply_actions.c -- each kind of action, carried out on real servers
 *
 * Every function checks the kind's postcondition (man/shardkit-actions.5)
 * before acting, so running an action twice is harmless: the second run
 * finds it done.  Servers are reached with their topology conninfo and the
 * configuration's passfile, connecting to the "postgres" database as
 * server-init provisioned it; re-pointing and cloning are replica.h's.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "apply_local.h"
#include "clock.h"
#include "conn.h"
#include "error.h"
#include "file.h"
#include "replica.h"
#include "replica_local.h"
#include "server.h"

#define POLL_SECONDS 0.05

static void
pause_briefly(void)
{
	struct timespec ts = { 0, (long)(POLL_SECONDS * 1e9) };

	nanosleep(&ts, NULL);
}

static const struct topology_server *
server_of(const struct apply_context *c, int index)
{
	return &c->cur.servers[index];
}

/* A connection, or NULL with why (no report): unreachable is an answer here. */
static PGconn *
connect_quiet(const struct apply_context *c, int server, double timeout, char *why, size_t len)
{
	struct conn_params params;
	PGconn *conn;

	if (conn_params_init(&params, server_of(c, server)->conninfo,
	    c->opt->cfg->credentials_file, timeout, "postgres", why, len) != 0)
		return NULL;
	conn = PQconnectdbParams(params.keywords, params.values, 0);
	conn_params_free(&params);
	if (PQstatus(conn) != CONNECTION_OK) {
		conn_error_line(PQerrorMessage(conn), why, len);
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* A connection, or NULL after reporting that the server is down. */
static PGconn *
connect_or_report(const struct apply_context *c, int server)
{
	return conn_open(server_of(c, server)->conninfo, server_of(c, server)->id,
	    c->opt->cfg->credentials_file, c->opt->cfg->connect_timeout, "postgres");
}

/*
 * The first value of a one-row query with text parameters, or NULL after
 * reporting what could not be done (what) on server label.  Caller frees.
 */
static char *
query_value(PGconn *conn, const char *label, const char *what, const char *sql,
    int nparams, const char *const *params)
{
	PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	char *value = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		value = xstrdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
	else if (PQresultStatus(res) == PGRES_TUPLES_OK)
		value = xstrdup("");
	else {
		char line[256];

		conn_error_line(PQerrorMessage(conn), line, sizeof(line));
		error_report("could not %s on \"%s\": %s", what, label, line);
	}
	PQclear(res);
	return value;
}

/* A statement, its result unused; 0 or EXIT_STATUS_FAILURE after reporting. */
static int
execute(PGconn *conn, const char *label, const char *what, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	char line[256];

	if (!ok) {
		conn_error_line(PQerrorMessage(conn), line, sizeof(line));
		error_report("could not %s on \"%s\": %s", what, label, line);
	}
	PQclear(res);
	return ok ? 0 : EXIT_STATUS_FAILURE;
}

/* pg_is_in_recovery(): 1, 0, or -1 after reporting. */
static int
in_recovery(PGconn *conn, const char *label)
{
	char *v = query_value(conn, label, "ask whether it is in recovery",
	    "SELECT pg_is_in_recovery()", 0, NULL);
	int yes = v == NULL ? -1 : strcmp(v, "t") == 0;

	free(v);
	return yes;
}

/* ---- fence ------------------------------------------------------------- */

/*
 * The old primary must never acknowledge another write.  Unreachable, it
 * cannot (and the re-points that follow take its synchronous standbys
 * away); answering, it is made read-only for new transactions, its client
 * sessions are ended (a transaction under way would otherwise commit), and
 * when its data directory is on this host it is stopped.  ALTER SYSTEM
 * keeps it read-only should anything start it again before it is wiped.
 */
int
apply_fence(struct apply_context *c, const struct action *a, int *already)
{
	const struct topology_server *s = server_of(c, a->server);
	char why[256];
	PGconn *conn = connect_quiet(c, a->server, c->opt->cfg->probe_timeout, why, sizeof(why));
	int recovery, status;

	if (conn == NULL) {
		*already = 1;
		snprintf(c->detail, sizeof(c->detail), "unreachable (%s): left alone, wiped if it returns", why);
		return 0;
	}
	recovery = in_recovery(conn, s->id);
	if (recovery != 0) {
		PQfinish(conn);
		if (recovery < 0)
			return EXIT_STATUS_FAILURE;
		*already = 1;
		snprintf(c->detail, sizeof(c->detail), "in recovery: it accepts no writes");
		return 0;
	}
	status = execute(conn, s->id, "make it read-only",
	    "ALTER SYSTEM SET default_transaction_read_only = on");
	if (status == 0)
		status = execute(conn, s->id, "reload its configuration", "SELECT pg_reload_conf()");
	if (status == 0)
		status = execute(conn, s->id, "end its client sessions",
		    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
		    " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
	PQfinish(conn);
	if (status != 0)
		return status;
	snprintf(c->detail, sizeof(c->detail), "answered: made read-only and its sessions ended");
	if (s->data_directory != NULL && file_exists(s->data_directory)) {
		if (replica_server_stop(s->data_directory, c->opt->cfg, c->opt->ra, c->opt->timeout) != 0)
			return EXIT_STATUS_FAILURE;
		strncat(c->detail, ", then stopped", sizeof(c->detail) - strlen(c->detail) - 1);
	}
	return 0;
}

/* ---- promote ----------------------------------------------------------- */

/*
 * The candidate's synchronous_standby_names is set before it is promoted
 * (ALTER SYSTEM works on a standby), so its first commit as a primary
 * already waits for a replica: no acknowledged write exists on one server
 * only.  The set is the shard's active replicas once this plan's reserves
 * are activated too: at replication factor 2 the promoted server was the
 * only replica, so without the reserve it will activate its set would be
 * empty and writes reaching it early acknowledged by it alone.  A server already out of recovery
 * (an interrupted run) only gets the setting.
 */
int
apply_promote(struct apply_context *c, const struct action *a, int *already)
{
	const struct topology_server *s = server_of(c, a->server);
	struct topology after;
	char *names, *ok, wait[16];
	const char *params[] = { wait };
	PGconn *conn = connect_or_report(c, a->server);
	int recovery, status;
	size_t i;

	if (conn == NULL)
		return EXIT_STATUS_DOWN;
	topology_copy(&after, &c->cur);
	action_effect(&after, a);
	for (i = 0; i < c->count; i++)
		if (c->actions[i].kind == ACTION_ACTIVATE_RESERVE && c->actions[i].shard == a->shard)
			action_effect(&after, &c->actions[i]);
	names = replica_sync_names(&after, a->shard, a->server, c->opt->sync_count);
	topology_free(&after);
	recovery = in_recovery(conn, s->id);
	status = recovery < 0 ? EXIT_STATUS_FAILURE : replica_sync_apply(conn, s->id, names);
	if (status == 0 && recovery == 0) {
		*already = 1;
		snprintf(c->detail, sizeof(c->detail), "already out of recovery; synchronous_standby_names '%s'",
		    names);
	} else if (status == 0) {
		snprintf(wait, sizeof(wait), "%d", (int)ceil(c->opt->timeout > 1 ? c->opt->timeout : 1));
		ok = query_value(conn, s->id, "promote it", "SELECT pg_promote(true, $1::int)", 1, params);
		if (ok == NULL)
			status = EXIT_STATUS_FAILURE;
		else if (strcmp(ok, "t") != 0 || in_recovery(conn, s->id) != 0) {
			error_report("server \"%s\" was not promoted within %s s", s->id, wait);
			status = EXIT_STATUS_TIMEOUT;
		} else
			snprintf(c->detail, sizeof(c->detail), "promoted; synchronous_standby_names '%s'",
			    names);
		free(ok);
	}
	free(names);
	PQfinish(conn);
	return status;
}

/* ---- repoint and clone ------------------------------------------------- */

/*
 * Both are replica_attach on the topology as it will be once the action
 * succeeded (a clone needs the server to be a reserve of its new shard):
 * it clones, re-points or finds the server already streaming, and sets
 * the primary's synchronous set.
 */
int
apply_follow(struct apply_context *c, const struct action *a, int *already)
{
	struct replica_request req = {
		.server = server_of(c, a->server)->id,
		.primary = server_of(c, a->primary)->id,
		.sync_count = c->opt->sync_count,
		.timeout = c->opt->timeout,
	};
	struct replica_result res;
	struct topology after;
	int status;

	topology_copy(&after, &c->cur);
	action_effect(&after, a);
	status = replica_attach(&after, &req, c->opt->cfg, c->opt->ra, &res);
	topology_free(&after);
	if (status != 0)
		return status;
	*already = strcmp(res.action, "unchanged") == 0;
	snprintf(c->detail, sizeof(c->detail), "%s: streams from \"%s\" through slot \"%s\" (replayed %s)",
	    res.action, res.primary, res.slot, res.lsn);
	replica_result_free(&res);
	return 0;
}

/* ---- activate_reserve -------------------------------------------------- */

/*
 * Wait until the reserve streams from the shard's primary and has replayed
 * everything the primary had written when the wait began, then (once the
 * driver applied the effect) it joins the synchronous set.
 */
int
apply_activate(struct apply_context *c, const struct action *a, int *already)
{
	const struct topology_server *s = server_of(c, a->server);
	int primary = topology_shard_primary(&c->cur, a->shard);
	double deadline = clock_seconds() + c->opt->timeout;
	char *target, *state = NULL;
	PGconn *conn;

	(void)already;
	if (primary < 0) {
		error_report("shard \"%s\" has no primary for reserve \"%s\" to follow",
		    c->cur.shards[a->shard].id, s->id);
		return EXIT_STATUS_MISMATCH;
	}
	if ((conn = connect_or_report(c, primary)) == NULL)
		return EXIT_STATUS_DOWN;
	target = query_value(conn, server_of(c, primary)->id, "read its WAL position",
	    "SELECT pg_current_wal_lsn()::text", 0, NULL);
	while (target != NULL) {
		const char *params[] = { s->id, target };

		free(state);
		state = query_value(conn, server_of(c, primary)->id, "read pg_stat_replication",
		    "SELECT state || CASE WHEN replay_lsn >= $2::pg_lsn THEN ' caught up' ELSE '' END"
		    " FROM pg_stat_replication WHERE application_name = $1", 2, params);
		if (state == NULL || strcmp(state, "streaming caught up") == 0 || clock_seconds() >= deadline)
			break;
		pause_briefly();
	}
	PQfinish(conn);
	if (target == NULL || state == NULL) {
		free(target);
		free(state);
		return EXIT_STATUS_FAILURE;
	}
	if (strcmp(state, "streaming caught up") != 0) {
		error_report("reserve \"%s\" did not catch up with primary \"%s\" (to %s) within %g s: %s",
		    s->id, server_of(c, primary)->id, target, c->opt->timeout,
		    state[0] != '\0' ? state : "not connected");
		free(target);
		free(state);
		return EXIT_STATUS_TIMEOUT;
	}
	snprintf(c->detail, sizeof(c->detail), "streams from \"%s\" and replayed %s",
	    server_of(c, primary)->id, target);
	free(target);
	free(state);
	return 0;
}

/* ---- detach ------------------------------------------------------------ */

/* Drop slot on the primary over conn once no walsender holds it. */
static int
drop_slot(const struct apply_context *c, PGconn *conn, const char *label, const char *slot)
{
	double start = clock_seconds(), deadline = start + c->opt->timeout;
	const char *params[] = { slot };
	char *active;

	for (;;) {
		active = query_value(conn, label, "read its replication slots",
		    "SELECT coalesce(active_pid::text, 'none') FROM pg_replication_slots WHERE slot_name = $1",
		    1, params);
		if (active == NULL)
			return EXIT_STATUS_FAILURE;
		if (active[0] == '\0') {
			free(active);
			return 0;
		}
		if (strcmp(active, "none") == 0) {
			free(active);
			/* Dropped by someone else meanwhile is fine: the query returns no row then. */
			active = query_value(conn, label, "drop a replication slot",
			    "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots"
			    " WHERE slot_name = $1 AND active_pid IS NULL", 1, params);
		} else if (clock_seconds() >= deadline) {
			error_report("replication slot \"%s\" on \"%s\" is still in use by process %s",
			    slot, label, active);
			free(active);
			return EXIT_STATUS_TIMEOUT;
		} else if (clock_seconds() - start > 1) {
			const char *pid[] = { active };

			free(query_value(conn, label, "end a walsender",
			    "SELECT pg_terminate_backend($1::int)", 1, pid));
		}
		free(active);
		pause_briefly();
	}
}

/*
 * The reserve stops following (primary_conninfo emptied, so its
 * walreceiver does not come back) and its slot on the primary it leaves is
 * dropped, so that primary keeps no WAL for it.  A reserve that does not
 * answer is wiped next anyway: only the slot is dropped then.
 */
int
apply_detach(struct apply_context *c, const struct action *a, int *already)
{
	const struct topology_server *s = server_of(c, a->server);
	int primary = a->shard >= 0 ? topology_shard_primary(&c->cur, a->shard) : -1;
	char why[256], *slot = replica_slot_name(s->id);
	PGconn *conn = connect_quiet(c, a->server, c->opt->cfg->probe_timeout, why, sizeof(why));
	int status = 0;

	(void)already;
	if (conn != NULL) {
		status = execute(conn, s->id, "clear primary_conninfo", "ALTER SYSTEM SET primary_conninfo = ''");
		if (status == 0)
			status = execute(conn, s->id, "clear primary_slot_name",
			    "ALTER SYSTEM SET primary_slot_name = ''");
		if (status == 0)
			status = execute(conn, s->id, "reload its configuration", "SELECT pg_reload_conf()");
		PQfinish(conn);
		snprintf(c->detail, sizeof(c->detail), "stopped following");
	} else
		snprintf(c->detail, sizeof(c->detail), "unreachable (%s)", why);
	if (status == 0 && primary >= 0 && primary != a->server) {
		if ((conn = connect_or_report(c, primary)) == NULL)
			status = EXIT_STATUS_DOWN;
		else {
			status = drop_slot(c, conn, server_of(c, primary)->id, slot);
			PQfinish(conn);
		}
		if (status == 0)
			snprintf(c->detail + strlen(c->detail), sizeof(c->detail) - strlen(c->detail),
			    "; slot \"%s\" on \"%s\" dropped", slot, server_of(c, primary)->id);
	}
	free(slot);
	return status;
}

/* ---- wipe -------------------------------------------------------------- */

/* Copy the settings record to keep (beside the data directory) unless kept already. */
static int
keep_record(const char *dir, const char *keep)
{
	char *record = xconcat(dir, "/" SERVER_RECORD_FILE), *text;
	size_t len;
	FILE *fp;
	int rc = 0;

	if (file_exists(record)) {
		if ((fp = fopen(record, "r")) == NULL) {
			error_report("could not open \"%s\"", record);
			rc = EXIT_STATUS_FAILURE;
		} else {
			text = file_read_stream(fp, record, &len);
			fclose(fp);
			if (text == NULL || file_write_atomic(keep, text, len, 0600) != 0)
				rc = EXIT_STATUS_FAILURE;
			free(text);
		}
	} else if (!file_exists(keep)) {
		error_report("cannot wipe \"%s\": no settings record (%s) to provision it again from",
		    dir, SERVER_RECORD_FILE);
		error_hint("provision it by hand: server-init --wipe -D \"%s\", then server-init with its settings",
		    dir);
		rc = EXIT_STATUS_FAILURE;
	}
	free(record);
	return rc;
}

/*
 * Stop the server, remove its data directory and provision it again as
 * server-init made it (same id, port, zone, users): an empty cluster with
 * no history, ready to be cloned.  The settings record is kept beside the
 * directory (DATADIR.wipe.json) until the new one exists, so a wipe killed
 * half-way is finished by the next run.  The slot the server had on the
 * primary of the shard it leaves is dropped, if that primary answers.
 */
int
apply_wipe(struct apply_context *c, const struct action *a, int *already)
{
	const struct topology_server *s = server_of(c, a->server);
	struct server_spec spec;
	json_t *record = NULL;
	char *keep, *slot;
	int status, primary;
	PGconn *conn;

	(void)already;
	if (s->data_directory == NULL) {
		error_report("cannot wipe \"%s\": the topology gives no data_directory", s->id);
		return EXIT_STATUS_INPUT;
	}
	keep = xconcat(s->data_directory, ".wipe.json");
	status = keep_record(s->data_directory, keep);
	if (status == 0)
		status = server_record_read(keep, &spec, &record);
	if (status == 0 && strcmp(spec.id, s->id) != 0) {
		error_report("data directory \"%s\" belongs to server \"%s\", not \"%s\"",
		    s->data_directory, spec.id, s->id);
		status = EXIT_STATUS_CONFLICT;
	}
	if (status == 0) {
		spec.data_directory = s->data_directory;
		spec.timeout = c->opt->timeout;
		status = server_wipe(s->data_directory, c->opt->cfg, c->opt->ra, c->opt->timeout);
	}
	if (status == 0)
		status = server_provision(&spec, c->opt->cfg, c->opt->ra);
	if (status == 0 && unlink(keep) != 0)
		error_warning("could not remove \"%s\"", keep);
	json_decref(record);
	free(keep);
	if (status != 0)
		return status;
	snprintf(c->detail, sizeof(c->detail), "wiped and provisioned empty in \"%s\"", s->data_directory);
	primary = a->shard >= 0 ? topology_shard_primary(&c->cur, a->shard) : -1;
	if (primary >= 0 && primary != a->server) {
		char why[256];

		slot = replica_slot_name(s->id);
		if ((conn = connect_quiet(c, primary, c->opt->cfg->probe_timeout, why, sizeof(why))) != NULL) {
			if (drop_slot(c, conn, server_of(c, primary)->id, slot) == 0)
				snprintf(c->detail + strlen(c->detail), sizeof(c->detail) - strlen(c->detail),
				    "; its slot on \"%s\" dropped", server_of(c, primary)->id);
			PQfinish(conn);
		}
		free(slot);
	}
	return 0;
}
