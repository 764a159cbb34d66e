/* probe.h -- probe many PostgreSQL servers at once under one deadline
 *
 * The engine behind health-probe: an array of targets in, an array of
 * results out.  Every target is connected to and queried concurrently with
 * non-blocking libpq over poll(), so a sweep of N servers takes about as
 * long as the slowest answer, and never longer than the deadline, whatever
 * the servers do (refuse, hang, or never accept).
 */
#ifndef SHARDKIT_PROBE_H
#define SHARDKIT_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_ERROR_MAX 256
/* "FFFFFFFF/FFFFFFFF" and its NUL. */
#define PROBE_LSN_TEXT_MAX 18

struct probe_target {
	const char *id;         /* names the server in messages (borrowed) */
	const char *conninfo;   /* libpq conninfo or URI (borrowed) */
};

struct probe_options {
	double timeout;         /* seconds for the whole sweep, > 0 (fractional) */
	const char *passfile;   /* libpq passfile, or NULL for libpq's default */
};

/*
 * What one server answered.  Unknown values follow PostgreSQL's own
 * conventions where it has them: LSN 0 is InvalidXLogRecPtr (never a real
 * position) and timeline 0 is never used (timelines start at 1); counts and
 * sizes use -1.
 */
struct probe_result {
	int reachable;              /* connected and the query answered */
	char error[PROBE_ERROR_MAX];/* first line of why not; "" when reachable */
	double latency;             /* seconds from the start of connect to the answer or failure */
	int in_recovery;            /* pg_is_in_recovery(): 1 replica, 0 primary, -1 unknown */
	uint64_t current_lsn;       /* primary: pg_current_wal_lsn() */
	uint64_t received_lsn;      /* replica: pg_last_wal_receive_lsn() */
	uint64_t replayed_lsn;      /* replica: pg_last_wal_replay_lsn() */
	int64_t timeline;           /* current (primary) or received (replica) timeline; 0 unknown */
	int64_t connections;        /* client backends in pg_stat_activity; -1 unknown */
	int64_t max_connections;    /* -1 unknown */
	int64_t database_size;      /* bytes, pg_database_size(current_database()); -1 unknown */
	int read_only;              /* default_transaction_read_only: 1 on, 0 off, -1 unknown */
};

/*
 * Probe count targets concurrently; results[i] is filled for targets[i]
 * (the caller allocates count results).  Each target is connected with the
 * parameters of conn.h (passfile, fallback_application_name), then sent one
 * query whose single row carries every field.  Targets still pending when
 * opts->timeout has elapsed since the start are abandoned and reported as
 * unreachable with a "timeout expired" error: the deadline is the engine's
 * own, because libpq's connect_timeout has a 2 second floor and does not
 * cover the query.  Per-server failures never fail the call.
 * Returns 0, or -1 after reporting a failure of the engine itself (poll).
 *
 * Host names are resolved by libpq synchronously: numeric addresses (host
 * or hostaddr) keep the deadline exact.
 */
int probe_run(const struct probe_target *targets, size_t count,
    const struct probe_options *opts, struct probe_result *results);

/*
 * PostgreSQL's text form of an LSN ("16/B374D848") to a number and back.
 * probe_lsn_parse returns 0, or -1 when text is not an LSN.  probe_lsn_format
 * writes at most PROBE_LSN_TEXT_MAX bytes, NUL included.
 */
int probe_lsn_parse(const char *text, uint64_t *lsn);
void probe_lsn_format(uint64_t lsn, char out[PROBE_LSN_TEXT_MAX]);

#endif
