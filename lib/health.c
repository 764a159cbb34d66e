/* health.c -- a topology's probe results judged and rendered as a health document
 *
 * health_assess() is the one place that decides what a probe result means
 * for the cluster (role expected and observed, lag, down or mismatched);
 * the JSON document, the Prometheus exposition and the exit status are all
 * rendered from its report, so they can never disagree.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "error.h"
#include "health.h"
#include "probe.h"
#include "topology.h"

static enum health_role
expected_role(enum server_role role)
{
	switch (role) {
	case ROLE_PRIMARY:
		return HEALTH_ROLE_PRIMARY;
	case ROLE_REPLICA:
	case ROLE_RESERVE:
		return HEALTH_ROLE_REPLICA;
	default:
		return HEALTH_ROLE_UNKNOWN;
	}
}

static enum health_role
observed_role(const struct probe_result *r)
{
	if (!r->reachable || r->in_recovery < 0)
		return HEALTH_ROLE_UNKNOWN;
	return r->in_recovery ? HEALTH_ROLE_REPLICA : HEALTH_ROLE_PRIMARY;
}

/*
 * Lag of entry i behind the topology's primary of its shard, sampled in
 * the same sweep.  Unknown unless that primary answered as a primary: an
 * LSN taken from a server that is itself in recovery is not "the head".
 */
static int64_t
lag_bytes(const struct topology *topo, const struct health_report *report, size_t i)
{
	const struct health_entry *e = &report->entries[i];
	const struct probe_result *head;
	int p;

	if (e->server->shard < 0)
		return -1;
	p = topology_shard_primary(topo, e->server->shard);
	if (p < 0 || report->entries[p].observed != HEALTH_ROLE_PRIMARY)
		return -1;
	head = report->entries[p].probe;
	if (head->current_lsn == 0)
		return -1;
	if ((size_t)p == i)
		return 0;
	if (e->observed != HEALTH_ROLE_REPLICA || e->probe->replayed_lsn == 0)
		return -1;
	/* The two samples are not simultaneous: a replica may look ahead. */
	if (e->probe->replayed_lsn >= head->current_lsn)
		return 0;
	return (int64_t)(head->current_lsn - e->probe->replayed_lsn);
}

void
health_assess(const struct topology *topo, const struct probe_result *results,
    double timeout, time_t probed_at, struct health_report *report)
{
	size_t i;

	memset(report, 0, sizeof(*report));
	report->topology_version = topo->version;
	report->timeout = timeout;
	report->probed_at = probed_at;
	report->count = topo->server_count;
	report->entries = xcalloc(topo->server_count, sizeof(*report->entries));
	for (i = 0; i < topo->server_count; i++) {
		struct health_entry *e = &report->entries[i];
		const struct topology_server *s = &topo->servers[i];

		e->server = s;
		e->shard_id = s->shard >= 0 ? topo->shards[s->shard].id : NULL;
		e->probe = &results[i];
		e->expected = expected_role(s->role);
		e->observed = observed_role(&results[i]);
		e->matches = e->expected == HEALTH_ROLE_UNKNOWN ||
		    e->observed == HEALTH_ROLE_UNKNOWN ? -1 : e->expected == e->observed;
		report->summary.servers++;
		if (results[i].reachable)
			report->summary.reachable++;
		else
			report->summary.down++;
		if (e->matches == 0)
			report->summary.mismatched++;
		/* Only the topology's primary must take writes: a fenced old primary is read-only by design. */
		if (e->expected == HEALTH_ROLE_PRIMARY && e->observed == HEALTH_ROLE_PRIMARY &&
		    results[i].read_only == 1)
			report->summary.read_only_primaries++;
	}
	for (i = 0; i < topo->server_count; i++)
		report->entries[i].lag_bytes = lag_bytes(topo, report, i);
}

void
health_report_free(struct health_report *report)
{
	free(report->entries);
	memset(report, 0, sizeof(*report));
}

int
health_exit_status(const struct health_summary *summary)
{
	if (summary->down > 0)
		return EXIT_STATUS_DOWN;
	if (summary->mismatched > 0 || summary->read_only_primaries > 0)
		return EXIT_STATUS_MISMATCH;
	return EXIT_STATUS_OK;
}

static const char *
role_text(enum health_role role)
{
	switch (role) {
	case HEALTH_ROLE_PRIMARY:
		return "primary";
	case HEALTH_ROLE_REPLICA:
		return "replica";
	default:
		return NULL;
	}
}

/* Every role as expected but a primary takes no writes: "degraded". */
static const char *
status_text(const struct health_summary *summary)
{
	if (summary->down > 0)
		return "down";
	if (summary->mismatched > 0)
		return "mismatch";
	if (summary->read_only_primaries > 0)
		return "degraded";
	return "healthy";
}

static json_t *
string_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

static json_t *
int_or_null(int64_t v, int64_t unknown)
{
	return v == unknown ? json_null() : json_integer((json_int_t)v);
}

static json_t *
bool_or_null(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

static json_t *
lsn_or_null(uint64_t lsn)
{
	char text[PROBE_LSN_TEXT_MAX];

	if (lsn == 0)
		return json_null();
	probe_lsn_format(lsn, text);
	return json_string(text);
}

static json_t *
entry_to_json(const struct health_entry *e)
{
	const struct probe_result *r = e->probe;
	const char *role = e->server->role == ROLE_NONE ? NULL : server_role_name(e->server->role);

	/* Every key, always, in this order: consumers may rely on the shape. */
	return json_pack("{s:s, s:o, s:o, s:s, s:o, s:o, s:b, s:o, s:f, s:o, s:o, s:o,"
	    " s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", e->server->id,
	    "shard", string_or_null(e->shard_id),
	    "zone", string_or_null(e->server->zone),
	    "state", server_state_name(e->server->state),
	    "role", string_or_null(role),
	    "expected_role", string_or_null(role_text(e->expected)),
	    "reachable", r->reachable,
	    "error", r->reachable ? json_null() : json_string(r->error),
	    "latency_ms", round(r->latency * 1e6) / 1e3,
	    "observed_role", string_or_null(role_text(e->observed)),
	    "matches_topology", e->matches < 0 ? json_null() : json_boolean(e->matches),
	    "read_only", bool_or_null(r->reachable ? r->read_only : -1),
	    "current_lsn", lsn_or_null(r->current_lsn),
	    "received_lsn", lsn_or_null(r->received_lsn),
	    "replayed_lsn", lsn_or_null(r->replayed_lsn),
	    "lag_bytes", int_or_null(e->lag_bytes, -1),
	    "timeline", int_or_null(r->timeline, 0),
	    "connections", int_or_null(r->connections, -1),
	    "max_connections", int_or_null(r->max_connections, -1),
	    "database_size_bytes", int_or_null(r->database_size, -1));
}

static void
format_time(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *
health_to_json(const struct health_report *report)
{
	const struct health_summary *s = &report->summary;
	json_t *servers = json_array();
	char when[32];
	size_t i;

	for (i = 0; i < report->count; i++)
		json_array_append_new(servers, entry_to_json(&report->entries[i]));
	format_time(report->probed_at, when, sizeof(when));
	return json_pack("{s:s, s:I, s:s, s:f, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:s, s:i}}",
	    "format", HEALTH_FORMAT,
	    "topology_version", (json_int_t)report->topology_version,
	    "probed_at", when,
	    "timeout", report->timeout,
	    "servers", servers,
	    "summary",
	    "servers", (json_int_t)s->servers,
	    "reachable", (json_int_t)s->reachable,
	    "down", (json_int_t)s->down,
	    "mismatched", (json_int_t)s->mismatched,
	    "read_only_primaries", (json_int_t)s->read_only_primaries,
	    "status", status_text(s),
	    "exit_status", health_exit_status(s));
}

char *
health_render_json(const struct health_report *report, int compact)
{
	size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12) |
	    (compact ? JSON_COMPACT : JSON_INDENT(2));
	json_t *doc = health_to_json(report);
	char *text = NULL, *out;
	size_t len;

	if (doc != NULL)
		text = json_dumps(doc, flags);
	json_decref(doc);
	if (text == NULL) {
		error_report("could not serialise the health document: out of memory");
		return NULL;
	}
	len = strlen(text);
	out = xmalloc(len + 2);
	memcpy(out, text, len);
	out[len] = '\n';
	out[len + 1] = '\0';
	free(text);
	return out;
}

/* Per-server metrics; a sample is written only when its value is known. */
enum metric {
	METRIC_UP,
	METRIC_LATENCY,
	METRIC_IN_RECOVERY,
	METRIC_ROLE_MISMATCH,
	METRIC_READ_ONLY,
	METRIC_LAG,
	METRIC_TIMELINE,
	METRIC_CONNECTIONS,
	METRIC_MAX_CONNECTIONS,
	METRIC_DATABASE_SIZE,
	METRIC_COUNT,
};

static const struct {
	const char *name;
	const char *help;
} metrics[METRIC_COUNT] = {
	{ "shardkit_server_up", "1 when the server answered the probe, 0 when it is unreachable." },
	{ "shardkit_server_latency_seconds", "Time to connect and answer the probe, or to fail." },
	{ "shardkit_server_in_recovery", "1 when the server is a replica (pg_is_in_recovery), 0 when primary." },
	{ "shardkit_server_role_mismatch", "1 when the observed role differs from the topology's." },
	{ "shardkit_server_read_only", "1 when default_transaction_read_only is on: a primary takes no writes." },
	{ "shardkit_server_lag_bytes", "Bytes of WAL the server has not replayed behind its shard's primary." },
	{ "shardkit_server_timeline", "Current timeline (primary) or received timeline (replica)." },
	{ "shardkit_server_connections", "Client connections in use." },
	{ "shardkit_server_max_connections", "The server's max_connections." },
	{ "shardkit_server_database_size_bytes", "Size of the probed database." },
};

static int
metric_value(enum metric m, const struct health_entry *e, double *v)
{
	const struct probe_result *r = e->probe;

	switch (m) {
	case METRIC_UP:
		*v = r->reachable;
		return 1;
	case METRIC_LATENCY:
		/* Microseconds are all a loopback probe can resolve. */
		*v = round(r->latency * 1e6) / 1e6;
		return 1;
	case METRIC_IN_RECOVERY:
		*v = r->in_recovery;
		return r->reachable && r->in_recovery >= 0;
	case METRIC_ROLE_MISMATCH:
		*v = e->matches == 0;
		return e->matches >= 0;
	case METRIC_READ_ONLY:
		*v = r->read_only;
		return r->reachable && r->read_only >= 0;
	case METRIC_LAG:
		*v = (double)e->lag_bytes;
		return e->lag_bytes >= 0;
	case METRIC_TIMELINE:
		*v = (double)r->timeline;
		return r->timeline > 0;
	case METRIC_CONNECTIONS:
		*v = (double)r->connections;
		return r->connections >= 0;
	case METRIC_MAX_CONNECTIONS:
		*v = (double)r->max_connections;
		return r->max_connections >= 0;
	case METRIC_DATABASE_SIZE:
		*v = (double)r->database_size;
		return r->database_size >= 0;
	default:
		return 0;
	}
}

/* A label value in the exposition format: backslash, quote and newline escaped. */
static void
write_label(FILE *f, const char *value)
{
	for (; value != NULL && *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(f, "\\%c", *value);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
}

static void
write_gauge_header(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
write_metric(FILE *f, const struct health_report *report, enum metric m)
{
	size_t i;
	double v;

	write_gauge_header(f, metrics[m].name, metrics[m].help);
	for (i = 0; i < report->count; i++) {
		const struct health_entry *e = &report->entries[i];

		if (!metric_value(m, e, &v))
			continue;
		fprintf(f, "%s{server=\"", metrics[m].name);
		write_label(f, e->server->id);
		fputs("\",shard=\"", f);
		write_label(f, e->shard_id);
		fprintf(f, "\"} %.15g\n", v);
	}
}

char *
health_render_prometheus(const struct health_report *report)
{
	const struct health_summary *s = &report->summary;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int m;

	f = open_memstream(&text, &len);
	if (f == NULL) {
		error_report("could not render the Prometheus metrics: %s", strerror(errno));
		return NULL;
	}
	write_gauge_header(f, "shardkit_health_probe_timestamp_seconds",
	    "When the sweep started, in seconds since the Unix epoch.");
	fprintf(f, "shardkit_health_probe_timestamp_seconds %lld\n", (long long)report->probed_at);
	write_gauge_header(f, "shardkit_topology_version", "Version of the topology probed.");
	fprintf(f, "shardkit_topology_version %lld\n", (long long)report->topology_version);
	write_gauge_header(f, "shardkit_servers_down", "Servers of the topology that are unreachable.");
	fprintf(f, "shardkit_servers_down %zu\n", s->down);
	write_gauge_header(f, "shardkit_servers_role_mismatch",
	    "Servers whose observed role differs from the topology's.");
	fprintf(f, "shardkit_servers_role_mismatch %zu\n", s->mismatched);
	for (m = 0; m < METRIC_COUNT; m++)
		write_metric(f, report, (enum metric)m);
	if (fclose(f) != 0 || text == NULL) {
		error_report("could not render the Prometheus metrics: %s", strerror(errno));
		free(text);
		return NULL;
	}
	return text;
}
