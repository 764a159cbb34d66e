/* client.c -- a cluster handle for client programs: route, connect, retry
 *
 * The handle keeps at most one connection per shard, to the server the
 * topology names its primary.  It never trusts a connection it cannot use:
 * before a statement is sent, pending input is read so a connection the
 * server already closed (a shutdown, a SIGKILLed primary) is replaced
 * instead of being written to, which would turn a write that never left
 * into an "unknown" one.  The topology file is checked (one stat) before
 * every attempt: writers replace it atomically (rename), so a new inode or
 * mtime means a new document, and the version field decides whether the
 * routing changed.
 */

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "client.h"
#include "clock.h"
#include "conn.h"
#include "error.h"
#include "hash.h"

static void
sleep_seconds(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* xorshift64*: jitter only needs to differ between clients, not be secret. */
static double
random_unit(struct client *client)
{
	client->rng ^= client->rng >> 12;
	client->rng ^= client->rng << 25;
	client->rng ^= client->rng >> 27;
	return (double)((client->rng * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0;
}

enum client_verdict
client_classify(int sent, ExecStatusType status, const char *sqlstate, int conn_ok)
{
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		return CLIENT_DONE;
	if (!sent)
		return CLIENT_RETRY;
	if (sqlstate != NULL) {
		/* Refused before anything was written: safe to send elsewhere. */
		if (strcmp(sqlstate, "25006") == 0 || strcmp(sqlstate, "57P03") == 0)
			return CLIENT_RETRY;
		/* Rolled back by the server, connection intact: nothing committed. */
		if (conn_ok && (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0))
			return CLIENT_RETRY;
	}
	/*
	 * The connection died with the statement sent: a shutdown (57P01,
	 * 57P02), a crash or a network failure (class 08, or no SQLSTATE at
	 * all) can strike after the commit record was written but before the
	 * answer left, or while a synchronous commit waited for a standby.
	 */
	if (!conn_ok)
		return CLIENT_UNKNOWN;
	if (sqlstate != NULL && strncmp(sqlstate, "08", 2) == 0)
		return CLIENT_UNKNOWN;
	return CLIENT_FAIL;
}

double
client_backoff(unsigned attempt, double initial, double max, double unit)
{
	double ceiling = initial;

	while (attempt-- > 0 && ceiling < max)
		ceiling *= 2;
	if (ceiling > max)
		ceiling = max;
	if (unit < 0)
		unit = 0;
	if (unit >= 1)
		unit = 1;
	return ceiling / 2 + ceiling / 2 * unit;
}

static void
drop_connection(struct client *client, int shard)
{
	if (client->conns[shard] != NULL) {
		PQfinish(client->conns[shard]);
		client->conns[shard] = NULL;
	}
}

static void
drop_all(struct client *client)
{
	size_t i;

	for (i = 0; i < client->topo.shard_count; i++)
		drop_connection(client, (int)i);
}

/* Take topo (moved in) as the current topology and route over it. */
static void
adopt(struct client *client, struct topology *topo)
{
	if (client->routable)
		router_free(&client->router);
	if (client->conns != NULL) {
		drop_all(client);
		topology_free(&client->topo);
	}
	free(client->conns);
	free(client->opened);
	free(client->names);
	client->topo = *topo;
	client->routable = router_build(&client->router, &client->topo) == ROUTE_OK;
	client->conns = xcalloc(client->topo.shard_count + 1, sizeof(PGconn *));
	client->opened = xcalloc(client->topo.shard_count + 1, sizeof(int));
	client->names = xcalloc(client->topo.shard_count + 1, sizeof(*client->names));
}

static int
file_identity(const char *location, struct stat *st)
{
	if (strcmp(location, "-") == 0)
		return -1;
	return stat(location, st);
}

int
client_open(struct client *client, const char *location, const struct client_options *opts)
{
	struct topology topo;
	struct stat st;
	int status;

	memset(client, 0, sizeof(*client));
	client->opts = *opts;
	client->last_shard = -1;
	client->last_server = -1;
	client->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ UINT64_C(0x9e3779b97f4a7c15);
	if (file_identity(location, &st) == 0) {
		client->dev = st.st_dev;
		client->ino = st.st_ino;
		client->mtime = st.st_mtim;
	}
	if ((status = topology_load(location, &topo)) != 0)
		return status;
	if (topo.mode == MODE_MULTI_MASTER) {
		error_report("%s: multi-master topologies have no primary per shard", location);
		topology_free(&topo);
		return EXIT_STATUS_INPUT;
	}
	adopt(client, &topo);
	client->location = xstrdup(location);
	if (!client->routable) {
		error_report("%s: no shard is routable (has ring-place run?)", location);
		client_close(client);
		return EXIT_STATUS_INPUT;
	}
	return 0;
}

void
client_close(struct client *client)
{
	if (client->conns != NULL)
		drop_all(client);
	if (client->routable)
		router_free(&client->router);
	if (client->conns != NULL)
		topology_free(&client->topo);
	free(client->conns);
	free(client->opened);
	free(client->names);
	free(client->location);
	memset(client, 0, sizeof(*client));
}

int
client_refresh(struct client *client)
{
	struct topology topo;
	struct stat st;

	if (file_identity(client->location, &st) != 0)
		return 0;
	if (st.st_dev == client->dev && st.st_ino == client->ino &&
	    st.st_mtim.tv_sec == client->mtime.tv_sec && st.st_mtim.tv_nsec == client->mtime.tv_nsec)
		return 0;
	/* A bad replacement is reported once: the next good one has a new inode. */
	client->dev = st.st_dev;
	client->ino = st.st_ino;
	client->mtime = st.st_mtim;
	if (topology_load(client->location, &topo) != 0) {
		error_warning("%s: keeping topology version %lld", client->location,
		    (long long)client->topo.version);
		return 0;
	}
	if (topo.version == client->topo.version || topo.mode == MODE_MULTI_MASTER) {
		topology_free(&topo);
		return 0;
	}
	adopt(client, &topo);
	client->stats.topology_reloads++;
	return 1;
}

int
client_route(const struct client *client, const char *key)
{
	if (!client->routable)
		return -1;
	return (int)router_find(&client->router,
	    hash_key(key, strlen(key), client->topo.hash_seed));
}

/*
 * Server warnings (a shutdown in progress) go through the one error path
 * with the server's name; notices ("relation already exists, skipping")
 * are routine for a client and dropped.
 */
static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	char line[384];

	if (severity == NULL || strcmp(severity, "WARNING") != 0)
		return;
	conn_error_line(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL ?
	    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "", line, sizeof(line));
	error_warning("server \"%s\": %s", (const char *)arg, line);
}

/* The shard's primary connection, opened if needed; NULL with client->error set. */
static PGconn *
shard_connection(struct client *client, int shard)
{
	struct conn_params params;
	const struct topology_server *server;
	char why[256];
	int primary;

	/* A connection is dropped whenever the topology changes: still this primary. */
	client->last_server = primary = topology_shard_primary(&client->topo, shard);
	if (client->conns[shard] != NULL)
		return client->conns[shard];
	if (primary < 0) {
		snprintf(client->error, sizeof(client->error), "shard \"%s\" has no primary",
		    client->topo.shards[shard].id);
		return NULL;
	}
	server = &client->topo.servers[primary];
	if (conn_params_init(&params, server->conninfo, client->opts.passfile,
	    client->opts.connect_timeout, NULL, why, sizeof(why)) != 0) {
		snprintf(client->error, sizeof(client->error), "bad conninfo for \"%s\": %s",
		    server->id, why);
		return NULL;
	}
	client->conns[shard] = PQconnectdbParams(params.keywords, params.values, 0);
	conn_params_free(&params);
	if (client->opened[shard])
		client->stats.reconnects++;
	client->opened[shard] = 1;
	if (PQstatus(client->conns[shard]) != CONNECTION_OK) {
		conn_error_line(PQerrorMessage(client->conns[shard]), why, sizeof(why));
		snprintf(client->error, sizeof(client->error), "could not connect to \"%s\": %s",
		    server->id, why);
		drop_connection(client, shard);
		return NULL;
	}
	snprintf(client->names[shard], sizeof(client->names[shard]), "%s", server->id);
	PQsetNoticeReceiver(client->conns[shard], notice_receiver, client->names[shard]);
	return client->conns[shard];
}

/* A connection whose server has gone since its last use is replaced now. */
static PGconn *
live_connection(struct client *client, int shard)
{
	PGconn *conn = shard_connection(client, shard);

	if (conn == NULL)
		return NULL;
	if (PQconsumeInput(conn) && PQstatus(conn) == CONNECTION_OK)
		return conn;
	drop_connection(client, shard);
	return shard_connection(client, shard);
}

static void
set_error(struct client *client, int shard, const char *message)
{
	char line[384];

	conn_error_line(message, line, sizeof(line));
	snprintf(client->error, sizeof(client->error), "shard \"%s\": %s",
	    client->topo.shards[shard].id, line);
}

/*
 * Wait until a result can be read without blocking, or until deadline
 * (0: no deadline).  Returns -1 on timeout; a socket error returns 0 so
 * PQgetResult reports it.  A primary that is stopped (SIGSTOP) or cut off
 * would otherwise hold a blocking client forever.
 */
static int
await_answer(PGconn *conn, double deadline)
{
	struct pollfd pfd = { .fd = PQsocket(conn), .events = POLLIN };
	double left;
	int n;

	if (deadline <= 0)
		return 0;
	while (PQisBusy(conn)) {
		if ((left = deadline - clock_seconds()) <= 0)
			return -1;
		n = poll(&pfd, 1, (int)ceil(left * 1000));
		if (n < 0 && errno != EINTR)
			return 0;
		if (n > 0 && !PQconsumeInput(conn))
			return 0;
	}
	return 0;
}

/* One attempt on shard: CLIENT_DONE, CLIENT_RETRY, CLIENT_UNKNOWN or CLIENT_FAIL. */
static enum client_verdict
attempt(struct client *client, int shard, const char *sql, int nparams,
    const char *const *values, PGresult **result)
{
	PGconn *conn = live_connection(client, shard);
	PGresult *res, *last = NULL;
	enum client_verdict verdict;
	double deadline;

	if (conn == NULL)
		return CLIENT_RETRY;
	deadline = client->opts.answer_timeout > 0 ? clock_seconds() + client->opts.answer_timeout : 0;
	if (!PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0)) {
		set_error(client, shard, PQerrorMessage(conn));
		drop_connection(client, shard);
		return CLIENT_RETRY;
	}
	/* The first error is the one that explains the outcome. */
	while (await_answer(conn, deadline) == 0 && (res = PQgetResult(conn)) != NULL) {
		if (last != NULL && PQresultStatus(last) == PGRES_FATAL_ERROR) {
			PQclear(res);
			continue;
		}
		PQclear(last);
		last = res;
	}
	if (PQisBusy(conn)) {
		snprintf(client->error, sizeof(client->error), "shard \"%s\": no answer within %g s",
		    client->topo.shards[shard].id, client->opts.answer_timeout);
		PQclear(last);
		drop_connection(client, shard);
		return CLIENT_UNKNOWN;
	}
	verdict = client_classify(1, last != NULL ? PQresultStatus(last) : PGRES_FATAL_ERROR,
	    last != NULL ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : NULL,
	    PQstatus(conn) == CONNECTION_OK);
	if (verdict != CLIENT_DONE) {
		set_error(client, shard, last != NULL && *PQresultErrorMessage(last) != '\0' ?
		    PQresultErrorMessage(last) : PQerrorMessage(conn));
		/* A server that refused a write is not the primary any more. */
		if (verdict != CLIENT_FAIL)
			drop_connection(client, shard);
	}
	if (verdict == CLIENT_DONE && result != NULL)
		*result = last;
	else
		PQclear(last);
	return verdict;
}

/* Retry loop shared by both entry points: key routes, else shard_id names the shard. */
static enum client_verdict
run(struct client *client, const char *key, const char *shard_id, const char *sql,
    int nparams, const char *const *values, PGresult **result)
{
	double deadline = clock_seconds() + client->opts.retry_for, left;
	enum client_verdict verdict;
	unsigned tries = 0;
	int shard;

	client->error[0] = '\0';
	for (;;) {
		client_refresh(client);
		shard = key != NULL ? client_route(client, key) :
		    topology_find_shard(&client->topo, shard_id);
		client->last_shard = shard;
		client->last_server = -1;
		if (shard < 0) {
			snprintf(client->error, sizeof(client->error), "%s", key != NULL ?
			    "no shard is routable" : "the shard left the topology");
			verdict = key != NULL ? CLIENT_RETRY : CLIENT_FAIL;
		} else {
			verdict = attempt(client, shard, sql, nparams, values, result);
		}
		if (verdict != CLIENT_RETRY)
			return verdict;
		if ((left = deadline - clock_seconds()) <= 0)
			return CLIENT_GAVE_UP;
		if (client->opts.interrupted != NULL && *client->opts.interrupted)
			return CLIENT_GAVE_UP;
		sleep_seconds(fmin(left, client_backoff(tries++, client->opts.backoff_initial,
		    client->opts.backoff_max, random_unit(client))));
		client->stats.retries++;
	}
}

enum client_verdict
client_exec(struct client *client, const char *key, const char *sql, int nparams,
    const char *const *values, PGresult **result)
{
	return run(client, key, NULL, sql, nparams, values, result);
}

enum client_verdict
client_exec_shard(struct client *client, int shard, const char *sql, int nparams,
    const char *const *values, PGresult **result)
{
	char id[TOPOLOGY_ID_MAX + 1];

	if (shard < 0 || (size_t)shard >= client->topo.shard_count) {
		snprintf(client->error, sizeof(client->error), "no shard %d", shard);
		return CLIENT_FAIL;
	}
	/* By id: a reload during the retries may renumber the shards. */
	snprintf(id, sizeof(id), "%s", client->topo.shards[shard].id);
	return run(client, NULL, id, sql, nparams, values, result);
}

/* "part" with embedded quotes doubled, as PQescapeIdentifier writes it. */
static char *
quote_part(PGconn *conn, const char *part, size_t len)
{
	char *out, *escaped;
	size_t i, n = 0;

	if (conn != NULL && (escaped = PQescapeIdentifier(conn, part, len)) != NULL) {
		out = xstrdup(escaped);
		PQfreemem(escaped);
		return out;
	}
	out = xmalloc(2 * len + 3);
	out[n++] = '"';
	for (i = 0; i < len; i++) {
		if (part[i] == '"')
			out[n++] = '"';
		out[n++] = part[i];
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

char *
client_quote_table(PGconn *conn, const char *name)
{
	const char *dot = strchr(name, '.');
	char *schema, *table, *out;
	size_t len;

	if (name[0] == '\0' || dot == name || (dot != NULL && (dot[1] == '\0' || strchr(dot + 1, '.'))))
		return NULL;
	if (dot == NULL)
		return quote_part(conn, name, strlen(name));
	schema = quote_part(conn, name, (size_t)(dot - name));
	table = quote_part(conn, dot + 1, strlen(dot + 1));
	len = strlen(schema) + strlen(table) + 2;
	out = xmalloc(len);
	snprintf(out, len, "%s.%s", schema, table);
	free(schema);
	free(table);
	return out;
}
