/* client.h -- a cluster handle for client programs: route, connect, retry
 *
 * A client opens a handle on a topology location, and each statement it
 * runs for a key goes to the key's shard's current primary.  When that
 * primary is gone (connection refused or lost), refuses writes (SQLSTATE
 * 25006: a fenced or demoted old primary, a standby) or is not accepting
 * connections (recovery, shutdown), the handle drops the connection,
 * reloads the topology if its version changed, routes the key again and
 * retries with jittered exponential backoff until a deadline.
 *
 * A statement's outcome is one of four, and only the first is a write a
 * client may count on:
 *   CLIENT_DONE     the server answered OK (autocommit: committed);
 *   CLIENT_UNKNOWN  the connection died after the statement was sent, or
 *                   no answer came within answer_timeout: it may or may
 *                   not have committed, so it is never retried
 *                   (a retry could apply it twice) and never acknowledged;
 *   CLIENT_FAIL     the server refused it for good (an SQL error): nothing
 *                   was committed;
 *   CLIENT_GAVE_UP  retries ran out at the deadline: nothing was committed.
 */
#ifndef SHARDKIT_CLIENT_H
#define SHARDKIT_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <libpq-fe.h>

#include "route.h"
#include "topology.h"

enum client_verdict {
	CLIENT_DONE,
	CLIENT_RETRY,       /* only inside the handle: never returned by client_exec */
	CLIENT_UNKNOWN,
	CLIENT_FAIL,
	CLIENT_GAVE_UP,
};

struct client_options {
	const char *passfile;       /* libpq passfile (credentials_file), or NULL */
	double connect_timeout;     /* seconds; <= 0: libpq's default */
	double retry_for;           /* seconds of retrying before CLIENT_GAVE_UP */
	double answer_timeout;      /* seconds to wait for a sent statement's answer
	                               before it is CLIENT_UNKNOWN; <= 0: forever */
	double backoff_initial;     /* first retry's delay ceiling, seconds */
	double backoff_max;         /* ceiling of any one delay, seconds */
	volatile sig_atomic_t *interrupted; /* nonzero (a signal): stop retrying; or NULL */
};

struct client_stats {
	uint64_t retries;           /* attempts after the first, over all calls */
	uint64_t reconnects;        /* connection attempts after each shard's first
	                               (counted afresh for each topology version) */
	uint64_t topology_reloads;  /* new versions taken from the location */
};

struct client {
	char *location;
	struct topology topo;
	struct router router;
	int routable;               /* router was built */
	PGconn **conns;             /* per shard of topo: its primary, or NULL */
	int *opened;                /* per shard: a connection was ever opened */
	char (*names)[TOPOLOGY_ID_MAX + 1]; /* per shard: its connection's server, for warnings */
	struct client_options opts;
	struct client_stats stats;
	uint64_t rng;
	dev_t dev;                  /* identity of the file last read, to notice */
	ino_t ino;                  /* an atomic replacement cheaply */
	struct timespec mtime;
	int last_shard;             /* shard of the last call, -1 when none */
	int last_server;            /* the server it tried last there, -1 when none */
	char error[512];            /* why the last call was not CLIENT_DONE */
};

/*
 * Open a handle on the topology at location (a file; it is re-read when
 * replaced).  opts is copied; its strings are borrowed.  Returns 0, or the
 * exit status of topology_load (reported), or EXIT_STATUS_INPUT when the
 * topology has no routable shard or is multi-master (reported).
 */
int client_open(struct client *client, const char *location, const struct client_options *opts);
void client_close(struct client *client);

/*
 * Reload the topology if the file was replaced and its version differs:
 * connections are dropped and keys routed again.  Returns 1 when a new
 * version was taken, 0 otherwise (an unreadable or invalid file is
 * reported as a warning and the current topology kept).
 */
int client_refresh(struct client *client);

/* The shard index key routes to now, or -1 when none is routable. */
int client_route(const struct client *client, const char *key);

/*
 * Run sql with its parameters (text, all of them values: never spliced into
 * sql) on the current primary of key's shard, retrying as described above.
 * When result is not NULL and the verdict is CLIENT_DONE, *result receives
 * the PGresult (the caller PQclear()s it).  client->error says why for the
 * other verdicts; client->last_shard and client->last_server name the
 * shard and server tried last (indexes into client->topo, which a reload
 * replaces: read them before the next call).
 */
enum client_verdict client_exec(struct client *client, const char *key, const char *sql,
    int nparams, const char *const *values, PGresult **result);

/* The same on shard's current primary (by index), for DDL on every shard. */
enum client_verdict client_exec_shard(struct client *client, int shard, const char *sql,
    int nparams, const char *const *values, PGresult **result);

/*
 * "schema"."name" for a possibly schema-qualified table name, each part
 * quoted with PQescapeIdentifier over conn (or an equivalent quoting when
 * conn is NULL).  Returns a malloc'ed string; NULL when name is empty or has
 * more than two parts.
 */
char *client_quote_table(PGconn *conn, const char *name);

/* Pure parts, exposed for tests. */

/*
 * What a failed or successful attempt means.  sent: the statement reached
 * the server whole (0 when connecting or sending failed).  status: the
 * result's status; sqlstate: its SQLSTATE or NULL; conn_ok: the connection
 * is still usable afterwards.
 */
enum client_verdict client_classify(int sent, ExecStatusType status, const char *sqlstate,
    int conn_ok);

/*
 * The delay before retry number attempt (0 for the first retry): its
 * ceiling is initial * 2^attempt capped at max, and the delay is drawn in
 * [ceiling / 2, ceiling] from unit (a random number in [0, 1)), so clients
 * that failed together do not retry together.
 */
double client_backoff(unsigned attempt, double initial, double max, double unit);

#endif
