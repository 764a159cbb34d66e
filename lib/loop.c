/* loop.c -- the orchestrator loop: probe, plan and apply, sweep after sweep
 *
 * What a sweep guarantees:
 * - the health document describes the topology version it probed: the
 *   topology is loaded once per sweep and the same copy is probed, judged,
 *   planned from and handed to the executor, which publishes only with
 *   compare-and-swap on that version (a newer one is a conflict, and the
 *   next sweep plans from it);
 * - the document is built as health-probe builds it and read back as
 *   orchestrate reads it (health_to_json, health_doc_from_json), so the
 *   loop decides exactly what the pipeline of the three programs would;
 * - every sweep has its own probed_at, to the millisecond and strictly
 *   increasing, so failure_state_count never mistakes two sweeps of one
 *   second for one sweep read twice;
 * - counts reach the state file before anything is acted on: counts lost
 *   in a crash would delay a failover, never hasten one.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "apply.h"
#include "clock.h"
#include "error.h"
#include "health.h"
#include "health_read.h"
#include "loop.h"
#include "orchestrate.h"
#include "probe.h"
#include "topology.h"

static int64_t
now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
ms_text(int64_t ms, char *out, size_t len)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char whole[32];

	gmtime_r(&sec, &tm);
	strftime(whole, sizeof(whole), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%03dZ", whole, (int)(ms % 1000));
}

void
loop_time_text(char *out, size_t len)
{
	ms_text(now_wall_ms(), out, len);
}

/*
 * Hand the sink a line made of fields (stolen): "time" (the fields' own,
 * else now) and "sweep" first, so every line reads the same way.
 */
static void
emit(struct loop *lp, json_t *fields)
{
	json_t *line = json_object(), *time = json_object_get(fields, "time"), *v;
	const char *key;
	char now[40];

	if (json_is_string(time)) {
		json_object_set(line, "time", time);
	} else {
		loop_time_text(now, sizeof(now));
		json_object_set_new(line, "time", json_string(now));
	}
	json_object_set_new(line, "sweep", json_integer(lp->sweep));
	json_object_foreach(fields, key, v)
		if (strcmp(key, "time") != 0 && strcmp(key, "sweep") != 0)
			json_object_set(line, key, v);
	json_decref(fields);
	if (lp->opt->log != NULL)
		lp->opt->log(line, lp->opt->log_arg);
	json_decref(line);
}

/* apply_log_fn: the executor's lines, numbered with this sweep. */
static void
apply_line(json_t *line, void *arg)
{
	emit(arg, json_incref(line));
}

static int64_t
count_of(const struct failure_state *state, const char *id)
{
	size_t i;

	for (i = 0; i < state->count; i++)
		if (strcmp(state->ids[i], id) == 0)
			return state->failures[i];
	return 0;
}

static void
state_copy(struct failure_state *dst, const struct failure_state *src, int64_t cap)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->probed_at = src->probed_at != NULL ? xstrdup(src->probed_at) : NULL;
	dst->count = src->count;
	dst->ids = xcalloc(src->count + 1, sizeof(*dst->ids));
	dst->failures = xcalloc(src->count + 1, sizeof(*dst->failures));
	for (i = 0; i < src->count; i++) {
		dst->ids[i] = xstrdup(src->ids[i]);
		dst->failures[i] = src->failures[i] < cap ? src->failures[i] : cap;
	}
}

/* Same servers with the same counts (probed_at aside). */
static int
state_equal(const struct failure_state *a, const struct failure_state *b)
{
	size_t i;

	if (a->count != b->count)
		return 0;
	for (i = 0; i < a->count; i++)
		if (strcmp(a->ids[i], b->ids[i]) != 0 || a->failures[i] != b->failures[i])
			return 0;
	return 1;
}

int
loop_init(struct loop *lp, const struct loop_options *opt)
{
	int rc = 0;

	memset(lp, 0, sizeof(*lp));
	lp->opt = opt;
	if (opt->state_path != NULL)
		rc = failure_state_load(opt->state_path, &lp->counts);
	if (rc == 0)
		state_copy(&lp->saved, &lp->counts, INT64_MAX);
	return rc;
}

void
loop_free(struct loop *lp)
{
	failure_state_free(&lp->counts);
	failure_state_free(&lp->saved);
	free(lp->repeat_key);
	memset(lp, 0, sizeof(*lp));
}

/*
 * Counts beyond the threshold change no decision, so they are written
 * capped at it: a server down for a day costs no file write per sweep.
 */
static int
save_counts(struct loop *lp, const struct failure_state *next)
{
	struct failure_state capped;

	if (lp->opt->dry_run || lp->opt->state_path == NULL)
		return 0;
	state_copy(&capped, next, lp->opt->failure_threshold);
	if (state_equal(&capped, &lp->saved)) {
		failure_state_free(&capped);
		return 0;
	}
	if (failure_state_save(&capped, lp->opt->state_path) != 0) {
		failure_state_free(&capped);
		return -1;
	}
	failure_state_free(&lp->saved);
	lp->saved = capped;
	return 0;
}

/*
 * Probe every server of topo and read the result back as orchestrate
 * would read health-probe's document.  probed_ms stamps the sweep.
 */
static int
probe_health(const struct loop *lp, const struct topology *topo, int64_t probed_ms,
    struct health_doc *doc)
{
	struct probe_target *targets = xcalloc(topo->server_count + 1, sizeof(*targets));
	struct probe_result *results = xcalloc(topo->server_count + 1, sizeof(*results));
	struct probe_options po = { lp->opt->probe_timeout, lp->opt->cfg->credentials_file };
	struct problems problems = { 0 };
	struct health_report report;
	json_t *json;
	char when[40];
	size_t i;
	int rc;

	for (i = 0; i < topo->server_count; i++) {
		targets[i].id = topo->servers[i].id;
		targets[i].conninfo = topo->servers[i].conninfo;
	}
	rc = probe_run(targets, topo->server_count, &po, results);
	if (rc == 0) {
		health_assess(topo, results, po.timeout, (time_t)(probed_ms / 1000), &report);
		json = health_to_json(&report);
		ms_text(probed_ms, when, sizeof(when));
		json_object_set_new(json, "probed_at", json_string(when));
		rc = health_doc_from_json(json, doc, &problems);
		/* Our own document: a problem here is a bug, reported as one. */
		problems_report(&problems, "<sweep>", 0);
		problems_free(&problems);
		json_decref(json);
		health_report_free(&report);
	}
	free(results);
	free(targets);
	return rc == 0 ? 0 : EXIT_STATUS_FAILURE;
}

static void
log_probe(struct loop *lp, const char *id, int64_t failures, const struct health_observation *o)
{
	json_t *line = json_pack("{s:s, s:s, s:s, s:I, s:I}", "event", "probe", "server", id,
	    "result", failures > 0 ? "unreachable" : "reachable",
	    "failures", (json_int_t)failures,
	    "threshold", (json_int_t)lp->opt->failure_threshold);

	if (failures > 0)
		json_object_set_new(line, "error",
		    o != NULL && o->error != NULL ? json_string(o->error) : json_null());
	emit(lp, line);
}

/*
 * Log each server's count on its way to the threshold and its recovery,
 * not every sweep of a server long down; note whether one is still on its
 * way (then the next sweep comes sooner).
 */
static void
note_counts(struct loop *lp, const struct topology *topo, const struct health_doc *doc,
    const int64_t *counts)
{
	int64_t threshold = lp->opt->failure_threshold, before;
	size_t i;

	lp->failing = 0;
	for (i = 0; i < topo->server_count; i++) {
		before = count_of(&lp->counts, topo->servers[i].id);
		if (counts[i] > 0 && counts[i] < threshold)
			lp->failing = 1;
		if (counts[i] != before && (counts[i] <= threshold || before == 0))
			log_probe(lp, topo->servers[i].id, counts[i],
			    health_doc_find(doc, topo->servers[i].id));
	}
}

/* The plan's actions, as the executor would see them, marked "planned". */
static void
log_planned(struct loop *lp, const struct orchestrate_plan *plan,
    const struct orchestrate_input *in)
{
	json_t *doc = orchestrate_plan_json(plan, in), *action;
	size_t i;

	json_array_foreach(json_object_get(doc, "actions"), i, action) {
		json_object_set_new(action, "result", json_string("planned"));
		emit(lp, json_incref(action));
	}
	json_decref(doc);
}

/* A condition that cleared and comes back is news: log it at once. */
static void
forget_plan(struct loop *lp)
{
	free(lp->repeat_key);
	lp->repeat_key = NULL;
}

/* The actions that may repeat: alerts, or (dry run) every action. */
static int
repeats(const struct loop *lp, const struct action *a)
{
	return lp->opt->dry_run || a->kind == ACTION_ALERT;
}

/*
 * Whether the plan would only log again, once a sweep, what was logged
 * less than LOOP_ALERT_REPEAT ago: its actions all repeat (alerts; any in a
 * dry run) and are those last logged.  A plan that is acted on records its
 * alerts as logged now.
 */
static int
plan_repeated(struct loop *lp, const struct orchestrate_plan *plan)
{
	const struct action *a;
	size_t i, len = 1;
	int only = 1;
	char *key, *p;

	for (i = 0; i < plan->count; i++)
		only &= repeats(lp, &plan->actions[i]);
	len += plan->count * 128;
	key = p = xmalloc(len);
	/*
	 * What an action is about, not its reason: the reason quotes the
	 * failure count, which grows every sweep of a server that stays down.
	 */
	for (i = 0; i < plan->count; i++) {
		a = &plan->actions[i];
		if (repeats(lp, a))
			p += sprintf(p, "%d %d %d %d %d %d %lld\n", (int)a->kind, a->server,
			    a->shard, a->primary, (int)a->severity, a->data_loss,
			    (long long)a->servers_needed);
	}
	*p = '\0';
	if (only && lp->repeat_key != NULL && strcmp(lp->repeat_key, key) == 0 &&
	    clock_seconds() - lp->repeat_at < LOOP_ALERT_REPEAT) {
		free(key);
		return 1;
	}
	free(lp->repeat_key);
	lp->repeat_key = key;
	lp->repeat_at = clock_seconds();
	return 0;
}

static int
act(struct loop *lp, const struct topology *topo, const struct orchestrate_plan *plan)
{
	struct apply_options ao = { 0 };
	int64_t published;

	ao.topology_location = lp->opt->topology_location;
	ao.cfg = lp->opt->cfg;
	ao.ra = lp->opt->ra;
	ao.timeout = lp->opt->action_timeout;
	ao.sync_count = lp->opt->sync_count;
	ao.log = apply_line;
	ao.log_arg = lp;
	return apply_plan(topo, plan->actions, plan->count, &ao, &published);
}

static int
stopping(const struct loop *lp)
{
	return lp->opt->stop != NULL && *lp->opt->stop;
}

/* Count, plan and act on one probed topology. */
static int
decide(struct loop *lp, const struct topology *topo, const struct health_doc *doc)
{
	int64_t *counts = xcalloc(topo->server_count + 1, sizeof(*counts));
	struct orchestrate_input in = { 0 };
	struct orchestrate_plan plan;
	struct failure_state next;
	int status = 0;

	failure_state_count(&lp->counts, topo, doc, counts, &next);
	note_counts(lp, topo, doc, counts);
	failure_state_free(&lp->counts);
	lp->counts = next;
	if (save_counts(lp, &lp->counts) != 0) {
		free(counts);
		return EXIT_STATUS_FAILURE;
	}
	in.topo = topo;
	in.health = doc;
	in.failures = counts;
	in.failure_threshold = lp->opt->failure_threshold;
	in.reserve_target = lp->opt->reserve_target;
	orchestrate_plan(&in, &plan);
	if (plan.count == 0)
		forget_plan(lp);
	if (plan.count > 0 && lp->opt->dry_run) {
		status = EXIT_STATUS_PLANNED;
		if (!plan_repeated(lp, &plan))
			log_planned(lp, &plan, &in);
	} else if (plan.count > 0 && !stopping(lp) && !plan_repeated(lp, &plan)) {
		status = act(lp, topo, &plan);
	}
	orchestrate_plan_free(&plan);
	free(counts);
	return status;
}

int
loop_sweep(struct loop *lp)
{
	struct topology topo;
	struct health_doc doc;
	int64_t probed_ms = now_wall_ms();
	int status;

	lp->sweep++;
	/* Strictly increasing, even when the wall clock steps back. */
	if (probed_ms <= lp->last_probed_ms)
		probed_ms = lp->last_probed_ms + 1;
	lp->last_probed_ms = probed_ms;
	if ((status = topology_load(lp->opt->topology_location, &topo)) != 0)
		return status;
	status = probe_health(lp, &topo, probed_ms, &doc);
	if (status == 0 && !stopping(lp)) {
		status = decide(lp, &topo, &doc);
		health_doc_free(&doc);
	} else if (status == 0) {
		health_doc_free(&doc);
	}
	topology_free(&topo);
	return status;
}

/* Sleep until the monotonic time deadline, or until asked to stop. */
static void
sleep_until(const struct loop *lp, double deadline)
{
	struct timespec ts;
	double left;

	/*
	 * A signal that lands between the check and nanosleep is seen at the
	 * next wake-up: at most one interval late, and the sweep it would
	 * interrupt has not started.
	 */
	while (!stopping(lp) && (left = deadline - clock_seconds()) > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - floor(left)) * 1e9);
		if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
			return;
	}
}

static void
log_event(struct loop *lp, const char *event, json_t *fields)
{
	json_t *line = json_pack("{s:s}", "event", event);

	json_object_update(line, fields);
	json_decref(fields);
	emit(lp, line);
}

int
loop_run(struct loop *lp)
{
	const struct loop_options *o = lp->opt;
	double start, delay, reprobe = fmin(o->reprobe_interval, o->interval);
	int status, last = 0;

	log_event(lp, "start", json_pack("{s:s, s:f, s:f, s:I, s:f, s:b}",
	    "topology", o->topology_location, "interval", o->interval,
	    "reprobe_interval", reprobe, "failure_threshold", (json_int_t)o->failure_threshold,
	    "probe_timeout", o->probe_timeout, "dry_run", o->dry_run));
	while (!stopping(lp)) {
		start = clock_seconds();
		status = loop_sweep(lp);
		if (status == EXIT_STATUS_PLANNED)
			status = 0;
		/* Transitions only: a file broken for an hour is not 3600 lines. */
		if (status != last)
			log_event(lp, "sweep", json_pack("{s:s, s:i}", "result",
			    status == 0 ? "ok" : "failed", "exit_status", status));
		last = status;
		delay = lp->failing ? reprobe : o->interval;
		sleep_until(lp, start + delay);
	}
	log_event(lp, "stop", json_object());
	return 0;
}
