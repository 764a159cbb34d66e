/* health.h -- a topology's probe results judged and rendered as a health document
 *
 * The health document (man/shardkit-health.5) is what the orchestrator and
 * alerting read: its format name is versioned, every server entry always
 * carries every key (null when unknown), and the same assessment drives the
 * JSON form, the Prometheus form and the exit status.
 */
#ifndef SHARDKIT_HEALTH_H
#define SHARDKIT_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "probe.h"
#include "topology.h"

#define HEALTH_FORMAT "shardkit-health/1"

/* A role as PostgreSQL shows it, or as the topology expects it. */
enum health_role {
	HEALTH_ROLE_UNKNOWN,    /* not observed (unreachable), or no expectation */
	HEALTH_ROLE_PRIMARY,
	HEALTH_ROLE_REPLICA,
};

struct health_entry {
	const struct topology_server *server;   /* borrowed from the topology */
	const char *shard_id;                   /* borrowed; NULL when in no shard */
	const struct probe_result *probe;       /* borrowed from the results */
	enum health_role expected;
	enum health_role observed;
	int matches;            /* 1, 0, or -1 when not checked (unreachable, no expectation) */
	int64_t lag_bytes;      /* behind the shard's primary; -1 unknown */
};

struct health_summary {
	size_t servers;
	size_t reachable;
	size_t down;
	size_t mismatched;
	size_t read_only_primaries;     /* topology primaries answering as primary, read-only */
};

struct health_report {
	int64_t topology_version;
	double timeout;
	time_t probed_at;       /* wall clock at the start of the sweep */
	struct health_entry *entries;   /* one per topology server, same order */
	size_t count;
	struct health_summary summary;
};

/*
 * Judge probe results (results[i] for topo->servers[i]): expected and
 * observed roles, whether they match, lag behind the shard's primary and
 * the summary.  Expectation: primary for role primary, replica for replica
 * and reserve, none for a server without a role.  Lag is the primary's
 * current LSN minus the replica's replayed LSN (0 when the replica is
 * ahead of the primary's sample), known only when the topology's primary of
 * the shard was reached and is a primary.  report borrows from topo and
 * results, which must outlive it; free with health_report_free.
 */
void health_assess(const struct topology *topo, const struct probe_result *results,
    double timeout, time_t probed_at, struct health_report *report);
void health_report_free(struct health_report *report);

/*
 * The exit status the summary calls for: EXIT_STATUS_DOWN when a server is
 * unreachable (it takes precedence: a down server's role cannot be
 * checked), else EXIT_STATUS_MISMATCH when a role differs or a topology
 * primary answering as primary is read-only (it takes no writes, so the
 * cluster does not do what the topology says), else EXIT_STATUS_OK.
 */
int health_exit_status(const struct health_summary *summary);

/* The health document (new reference). */
json_t *health_to_json(const struct health_report *report);

/*
 * Rendered output, NUL-terminated and ending in a newline; caller frees.
 * JSON: indented, or one line when compact (for --watch streams).  Reals
 * are printed with 12 significant digits so a latency reads 1.234, not
 * 1.2339999999999999.  Prometheus: the text exposition format (version
 * 0.0.4) with HELP and TYPE lines for every metric.  Return NULL after
 * reporting an allocation failure.
 */
char *health_render_json(const struct health_report *report, int compact);
char *health_render_prometheus(const struct health_report *report);

#endif
