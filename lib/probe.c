/* probe.c -- probe many PostgreSQL servers at once under one deadline
 *
 * Each target walks through three phases (connecting, sending the query,
 * waiting for its answer) driven by one poll() loop over every socket.
 * Nothing here ever blocks on one server: libpq sockets are non-blocking,
 * PQconnectPoll/PQflush/PQconsumeInput are only called when poll() says the
 * socket is ready, and the loop's timeout is the time left before the
 * sweep's deadline.  When the deadline passes, whatever is still pending is
 * closed and reported as a timeout, so a SIGSTOP'ed server or a listener
 * that never accepts costs the deadline and nothing more.
 *
 * The guarantee: probe_run returns no later than the deadline plus the time
 * to close the abandoned connections (PQfinish on a non-blocking socket),
 * except for host name resolution, which libpq does synchronously.
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "conn.h"
#include "error.h"
#include "probe.h"

/*
 * One row, every field.  Why each expression:
 * - the primary's timeline comes from the name of its current WAL file,
 *   which changes at promotion, while pg_control_checkpoint() only follows
 *   at the next checkpoint;
 * - a replica's timeline is the one it receives (pg_stat_wal_receiver,
 *   visible with pg_read_all_stats), else its last restartpoint's;
 * - only client backends count against max_connections;
 * - default_transaction_read_only makes a primary that answers refuse
 *   every write (plan-apply's fence sets it), which pg_is_in_recovery()
 *   does not show.
 * Nothing here needs more than the right to connect on PostgreSQL 15.
 */
static const char probe_query[] =
	"SELECT pg_is_in_recovery(),"
	" CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END,"
	" pg_last_wal_receive_lsn(),"
	" pg_last_wal_replay_lsn(),"
	" CASE WHEN pg_is_in_recovery()"
	"  THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),"
	"   (SELECT timeline_id FROM pg_control_checkpoint()))::bigint"
	"  ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint"
	" END,"
	" (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
	" current_setting('max_connections')::bigint,"
	" pg_database_size(current_database()),"
	" current_setting('default_transaction_read_only') = 'on'";

enum probe_phase {
	PHASE_CONNECTING,
	PHASE_SENDING,
	PHASE_WAITING,
	PHASE_DONE,
};

struct probe_slot {
	PGconn *conn;
	enum probe_phase phase;
	int want_write;             /* poll for POLLOUT rather than POLLIN */
	int got_row;
	double started;             /* when this target's connect began */
	struct probe_result *result;
};

/* 1 to 8 hex digits at *p, advancing p; -1 when there are none or too many. */
static int
hex_word(const char **p, uint32_t *out)
{
	const char *s = *p;
	uint32_t v = 0;
	int n = 0;

	for (; n <= 8; s++, n++) {
		if (*s >= '0' && *s <= '9')
			v = v << 4 | (uint32_t)(*s - '0');
		else if (*s >= 'A' && *s <= 'F')
			v = v << 4 | (uint32_t)(*s - 'A' + 10);
		else if (*s >= 'a' && *s <= 'f')
			v = v << 4 | (uint32_t)(*s - 'a' + 10);
		else
			break;
	}
	if (n == 0 || n > 8)
		return -1;
	*p = s;
	*out = v;
	return 0;
}

int
probe_lsn_parse(const char *text, uint64_t *lsn)
{
	uint32_t hi, lo;

	/* Strict, unlike sscanf's %X: no sign, no 0x, no blanks. */
	if (text == NULL || hex_word(&text, &hi) != 0 || *text++ != '/' ||
	    hex_word(&text, &lo) != 0 || *text != '\0')
		return -1;
	*lsn = ((uint64_t)hi << 32) | lo;
	return 0;
}

void
probe_lsn_format(uint64_t lsn, char out[PROBE_LSN_TEXT_MAX])
{
	snprintf(out, PROBE_LSN_TEXT_MAX, "%X/%X", (unsigned int)(lsn >> 32),
	    (unsigned int)lsn);
}

static void
result_init(struct probe_result *r)
{
	memset(r, 0, sizeof(*r));
	r->in_recovery = -1;
	r->read_only = -1;
	r->connections = -1;
	r->max_connections = -1;
	r->database_size = -1;
}

/* Close the slot's connection now: its socket and server slot are freed early. */
static void
slot_finish(struct probe_slot *slot)
{
	slot->result->latency = clock_seconds() - slot->started;
	PQfinish(slot->conn);
	slot->conn = NULL;
	slot->phase = PHASE_DONE;
}

/* prefix and the first line of message, cut to fit: errors are one line. */
static void
set_error(struct probe_result *r, const char *prefix, const char *message)
{
	size_t used = strlen(prefix);

	if (used >= sizeof(r->error))
		used = sizeof(r->error) - 1;
	memcpy(r->error, prefix, used);
	conn_error_line(message, r->error + used, sizeof(r->error) - used);
	if (r->error[used] == '\0')
		snprintf(r->error + used, sizeof(r->error) - used, "unknown error");
}

static void
slot_fail(struct probe_slot *slot, const char *prefix,
    const char *message)
{
	set_error(slot->result, prefix, message);
	slot->result->reachable = 0;
	slot_finish(slot);
}

static int64_t
field_int(const PGresult *res, int col, int64_t unknown)
{
	if (PQgetisnull(res, 0, col))
		return unknown;
	return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static uint64_t
field_lsn(const PGresult *res, int col)
{
	uint64_t lsn = 0;

	if (PQgetisnull(res, 0, col) || probe_lsn_parse(PQgetvalue(res, 0, col), &lsn) != 0)
		return 0;
	return lsn;
}

/* Take the single row; anything else is reported as the query's failure. */
static void
slot_take_result(struct probe_slot *slot, PGresult *res)
{
	struct probe_result *r = slot->result;

	if (slot->got_row || slot->phase == PHASE_DONE)
		return;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != 9) {
		slot_fail(slot, "query failed: ", PQresultErrorMessage(res));
		return;
	}
	slot->got_row = 1;
	r->in_recovery = PQgetisnull(res, 0, 0) ? -1 : PQgetvalue(res, 0, 0)[0] == 't';
	r->current_lsn = field_lsn(res, 1);
	r->received_lsn = field_lsn(res, 2);
	r->replayed_lsn = field_lsn(res, 3);
	r->timeline = field_int(res, 4, 0);
	r->connections = field_int(res, 5, -1);
	r->max_connections = field_int(res, 6, -1);
	r->database_size = field_int(res, 7, -1);
	r->read_only = PQgetisnull(res, 0, 8) ? -1 : PQgetvalue(res, 0, 8)[0] == 't';
}

static void
slot_flush(struct probe_slot *slot)
{
	int rc = PQflush(slot->conn);

	if (rc < 0) {
		slot_fail(slot, "", PQerrorMessage(slot->conn));
		return;
	}
	slot->phase = rc == 0 ? PHASE_WAITING : PHASE_SENDING;
	slot->want_write = rc != 0;
}

static void
slot_send(struct probe_slot *slot)
{
	if (PQsetnonblocking(slot->conn, 1) != 0 ||
	    PQsendQuery(slot->conn, probe_query) != 1) {
		slot_fail(slot, "", PQerrorMessage(slot->conn));
		return;
	}
	slot_flush(slot);
}

static void
slot_connect_step(struct probe_slot *slot)
{
	switch (PQconnectPoll(slot->conn)) {
	case PGRES_POLLING_OK:
		slot_send(slot);
		break;
	case PGRES_POLLING_FAILED:
		slot_fail(slot, "", PQerrorMessage(slot->conn));
		break;
	case PGRES_POLLING_WRITING:
		slot->want_write = 1;
		break;
	default:
		slot->want_write = 0;
		break;
	}
}

/* Read what arrived; collect results until libpq has no more to give. */
static void
slot_read(struct probe_slot *slot)
{
	PGresult *res;

	if (PQconsumeInput(slot->conn) != 1) {
		slot_fail(slot, "", PQerrorMessage(slot->conn));
		return;
	}
	while (slot->phase != PHASE_DONE && !PQisBusy(slot->conn)) {
		res = PQgetResult(slot->conn);
		if (res == NULL) {
			if (slot->got_row) {
				slot->result->reachable = 1;
				slot_finish(slot);
			} else {
				slot_fail(slot, "query failed: ",
				    "no result from the server");
			}
			return;
		}
		slot_take_result(slot, res);
		PQclear(res);
	}
}

/* The socket is ready (or in error): move the slot on by one step. */
static void
slot_step(struct probe_slot *slot, short revents)
{
	switch (slot->phase) {
	case PHASE_CONNECTING:
		slot_connect_step(slot);
		break;
	case PHASE_SENDING:
		/* libpq's rule: input may be needed before output can drain. */
		if ((revents & POLLIN) && PQconsumeInput(slot->conn) != 1) {
			slot_fail(slot, "", PQerrorMessage(slot->conn));
			break;
		}
		slot_flush(slot);
		break;
	case PHASE_WAITING:
		slot_read(slot);
		break;
	case PHASE_DONE:
		break;
	}
}

static void
slot_start(struct probe_slot *slot, const struct probe_target *target,
    const struct probe_options *opts)
{
	struct conn_params params;
	char why[PROBE_ERROR_MAX];

	/* connect_timeout is left to the conninfo: the deadline here is ours. */
	if (conn_params_init(&params, target->conninfo, opts->passfile, 0, NULL,
	    why, sizeof(why)) != 0) {
		set_error(slot->result, "invalid connection string: ", why);
		slot->phase = PHASE_DONE;
		return;
	}
	slot->conn = PQconnectStartParams(params.keywords, params.values, 0);
	conn_params_free(&params);
	if (slot->conn == NULL) {
		set_error(slot->result, "", "out of memory");
		slot->phase = PHASE_DONE;
		return;
	}
	slot->phase = PHASE_CONNECTING;
	slot->want_write = 1;
	if (PQstatus(slot->conn) == CONNECTION_BAD)
		slot_fail(slot, "", PQerrorMessage(slot->conn));
}

/*
 * One socket per target must fit under the open-files limit: raise the
 * soft limit toward the hard one rather than fail servers past the 1024th.
 */
static void
raise_file_limit(size_t count)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)count + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

static void
expire_pending(struct probe_slot *slots, size_t count, double timeout)
{
	char message[PROBE_ERROR_MAX];
	size_t i;

	for (i = 0; i < count; i++) {
		if (slots[i].phase == PHASE_DONE)
			continue;
		snprintf(message, sizeof(message), "timeout expired after %g s %s",
		    timeout, slots[i].phase == PHASE_CONNECTING ?
		    "while connecting" : "waiting for the answer");
		slot_fail(&slots[i], "", message);
	}
}

/*
 * Wait for every pending socket once, then step those that are ready.
 * Returns the number still pending, or -1 after reporting a poll failure.
 */
static int
poll_round(struct probe_slot *slots, size_t count, struct pollfd *fds,
    size_t *index, double deadline)
{
	size_t i, n = 0;
	int pending = 0, ms, rc;

	for (i = 0; i < count; i++) {
		if (slots[i].phase == PHASE_DONE)
			continue;
		/* The socket can change while connecting (another address, SSL retry). */
		fds[n].fd = PQsocket(slots[i].conn);
		if (fds[n].fd < 0) {
			slot_fail(&slots[i], "", PQerrorMessage(slots[i].conn));
			continue;
		}
		fds[n].events = slots[i].want_write ? POLLOUT : POLLIN;
		fds[n].revents = 0;
		index[n++] = i;
	}
	if (n == 0)
		return 0;
	ms = (int)ceil((deadline - clock_seconds()) * 1000.0);
	if (ms <= 0)
		return (int)n;
	rc = poll(fds, (nfds_t)n, ms);
	if (rc < 0 && errno != EINTR) {
		error_report("could not wait for the servers' sockets: %s", strerror(errno));
		return -1;
	}
	for (i = 0; rc > 0 && i < n; i++)
		if (fds[i].revents != 0)
			slot_step(&slots[index[i]], fds[i].revents);
	for (i = 0; i < n; i++)
		if (slots[index[i]].phase != PHASE_DONE)
			pending++;
	return pending;
}

int
probe_run(const struct probe_target *targets, size_t count,
    const struct probe_options *opts, struct probe_result *results)
{
	struct probe_slot *slots = xcalloc(count, sizeof(*slots));
	struct pollfd *fds = xcalloc(count, sizeof(*fds));
	size_t *index = xcalloc(count, sizeof(*index));
	double deadline = clock_seconds() + opts->timeout;
	size_t i;
	int pending = 1, rc = 0;

	raise_file_limit(count);
	for (i = 0; i < count; i++) {
		result_init(&results[i]);
		slots[i].result = &results[i];
		/* Per slot: starting thousands of connections takes time too. */
		slots[i].started = clock_seconds();
		slot_start(&slots[i], &targets[i], opts);
	}
	while (pending > 0 && clock_seconds() < deadline)
		pending = poll_round(slots, count, fds, index, deadline);
	if (pending < 0)
		rc = -1;
	expire_pending(slots, count, opts->timeout);
	free(index);
	free(fds);
	free(slots);
	return rc;
}
