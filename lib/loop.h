/* loop.h -- the orchestrator loop: probe, plan and apply, sweep after sweep
 *
 * One sweep is the pipeline "health-probe | orchestrate | plan-apply" done
 * in one process: the topology is loaded afresh (another tool may have
 * published a new one), every server is probed at once (probe.h), the
 * health document of that very topology version is built in memory, this
 * sweep's failed probes are counted against the last ones, the planner
 * (orchestrate.h) decides and the executor (apply.h) acts.  Failure counts
 * live in memory and in a state file, so a restarted orchestrator, or one
 * run from cron with --once, keeps counting where the last one stopped.
 *
 * The caller holds the orchestrator lock (apply.h) for as long as it runs
 * sweeps that apply; a dry run plans and logs only, and writes nothing.
 */
#ifndef SHARDKIT_LOOP_H
#define SHARDKIT_LOOP_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"
#include "orchestrate.h"
#include "runas.h"

/* Probes of a server that failed its last probe, sooner than --interval. */
#define LOOP_DEFAULT_INTERVAL 1.0
#define LOOP_DEFAULT_REPROBE 0.2
#define LOOP_DEFAULT_ACTION_TIMEOUT 60.0
/* An unchanged plan of alerts (any plan in a dry run) is logged again after this. */
#define LOOP_ALERT_REPEAT 60.0

/*
 * A decision-log line, complete ("time" and "sweep" first), handed to the
 * sink, which must not keep the reference.
 */
typedef void loop_log_fn(json_t *line, void *arg);

struct loop_options {
	const char *topology_location;  /* a file: reloaded every sweep */
	const char *state_path;         /* failure counts: read at start, written as they change */
	const struct config *cfg;       /* credentials_file, pg_bindir */
	const struct runas *ra;         /* the servers' user (wipe, clone) */
	double interval;                /* seconds from the start of a sweep to the next */
	double reprobe_interval;        /* the same while a server is failing, below the threshold */
	double probe_timeout;           /* deadline of one sweep's probes */
	double action_timeout;          /* apply_options.timeout */
	int64_t failure_threshold;      /* >= 1 */
	int64_t reserve_target;         /* 0: no reserve-pool alert */
	int sync_count;                 /* apply_options.sync_count */
	int dry_run;                    /* log the plan's actions as "planned"; act on nothing */
	loop_log_fn *log;
	void *log_arg;
	/* Set (by a signal handler) to stop: checked between the steps of a sweep. */
	const volatile sig_atomic_t *stop;
};

struct loop {
	const struct loop_options *opt;
	int64_t sweep;                  /* number of the last sweep, from 1 */
	struct failure_state counts;    /* as counted by the last sweep */
	struct failure_state saved;     /* as last written to the state file (capped) */
	int64_t last_probed_ms;         /* probed_at of the last sweep, milliseconds */
	int failing;                    /* the last sweep left a count below the threshold */
	char *repeat_key;               /* the plan last logged that may repeat, or NULL */
	double repeat_at;               /* when (monotonic seconds) */
};

/*
 * Prepare lp for opt (borrowed: it must outlive lp): read the failure
 * counts from opt->state_path (a missing file is no count yet).  Returns 0,
 * EXIT_STATUS_FAILURE or EXIT_STATUS_INPUT after reporting.  Free with
 * loop_free whatever it returned.
 */
int loop_init(struct loop *lp, const struct loop_options *opt);
void loop_free(struct loop *lp);

/*
 * Run one sweep.  Returns 0 when nothing was needed or every action
 * succeeded; EXIT_STATUS_PLANNED when a dry run planned actions; the
 * status of apply_plan when an action failed or the topology moved
 * (EXIT_STATUS_CONFLICT); EXIT_STATUS_FAILURE or EXIT_STATUS_INPUT when the
 * topology could not be loaded, EXIT_STATUS_FAILURE when probing or the
 * state file failed.  Every failure is reported on stderr and, for actions,
 * in the log.
 */
int loop_sweep(struct loop *lp);

/*
 * Sweep until *opt->stop is set: a sweep starts every interval (every
 * reprobe interval while a server is failing below the threshold), or at
 * once when the last one took longer; sweeps never overlap.  A failed sweep
 * is logged and the next one tries again.  Logs a "start" and a "stop"
 * event.  Returns 0.
 */
int loop_run(struct loop *lp);

/* Now as RFC 3339 UTC with milliseconds ("2026-11-26T00:10:03.123Z"). */
void loop_time_text(char *out, size_t len);

#endif
