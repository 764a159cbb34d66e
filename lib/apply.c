/* apply.c -- the executor's driver: order, publication and the decision log
 *
 * Actions run in the plan's order, each once those it waits for have
 * succeeded.  The working topology starts as stored and takes the effect
 * of every action that succeeds (action_effect); it is published with
 * compare-and-swap before a clone (so clients find a new primary without
 * waiting for a base backup) and at the end.  Not right after a promotion:
 * the planner re-points a shard's replicas only while it sees the recorded
 * primary lost, so a topology that named the new primary before the
 * re-points were done would leave them unfollowed if the executor died.  Only a valid topology is
 * published: when a failure leaves the working one invalid (a fenced
 * primary whose replacement failed), nothing is written and the next
 * sweep, seeing the same servers, plans the same steps again.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "apply_local.h"
#include "clock.h"
#include "error.h"
#include "replica.h"

static const char *const result_names[] = {
	[APPLY_DONE] = "done",
	[APPLY_ALREADY] = "already",
	[APPLY_FAILED] = "failed",
	[APPLY_SKIPPED] = "skipped",
};

const char *
apply_result_name(enum apply_result result)
{
	return result_names[result];
}

/* RFC 3339 UTC with milliseconds: decision lines from one sweep are apart by less. */
static json_t *
timestamp(void)
{
	struct timespec ts;
	struct tm tm;
	char text[64], ms[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ms, sizeof(ms), ".%03dZ", (int)(ts.tv_nsec / 1000000));
	strncat(text, ms, sizeof(text) - strlen(text) - 1);
	return json_string(text);
}

static void
emit(const struct apply_context *c, json_t *line)
{
	if (c->opt->log != NULL)
		c->opt->log(line, c->opt->log_arg);
	json_decref(line);
}

static json_t *
id_or_null(const struct topology *topo, int server)
{
	return server >= 0 ? json_string(topo->servers[server].id) : json_null();
}

static void
log_action(const struct apply_context *c, const struct action *a, size_t index,
    enum apply_result result, double seconds, const char *error)
{
	json_t *line = json_object();
	char id[24];

	snprintf(id, sizeof(id), "a%zu", index + 1);
	json_object_set_new(line, "time", timestamp());
	json_object_set_new(line, "id", json_string(id));
	json_object_set_new(line, "kind", json_string(action_kind_name(a->kind)));
	json_object_set_new(line, "server", id_or_null(&c->cur, a->server));
	json_object_set_new(line, "shard", a->shard >= 0 ? json_string(c->cur.shards[a->shard].id) :
	    json_null());
	if (a->kind == ACTION_ALERT)
		json_object_set_new(line, "severity",
		    json_string(a->severity == ALERT_CRITICAL ? "critical" : "warning"));
	json_object_set_new(line, "reason", json_string(a->reason));
	json_object_set_new(line, "result", json_string(apply_result_name(result)));
	json_object_set_new(line, "detail", (result == APPLY_DONE || result == APPLY_ALREADY) &&
	    c->detail[0] != '\0' ? json_string(c->detail) : json_null());
	json_object_set_new(line, "seconds", json_real((double)(long)(seconds * 1e3) / 1e3));
	json_object_set_new(line, "error", error != NULL ? json_string(error) : json_null());
	emit(c, line);
}

static void
log_publication(const struct apply_context *c, int64_t version, const char *result,
    const char *error)
{
	json_t *line = json_object();

	json_object_set_new(line, "time", timestamp());
	json_object_set_new(line, "event", json_string("topology"));
	json_object_set_new(line, "version", json_integer(version));
	json_object_set_new(line, "result", json_string(result));
	json_object_set_new(line, "error", error != NULL ? json_string(error) : json_null());
	emit(c, line);
}

/*
 * Write the working topology if it changed: version + 1, compare-and-swap
 * on the version it was based on.  Returns 0, EXIT_STATUS_CONFLICT (the
 * stored one moved: the caller stops), or EXIT_STATUS_FAILURE.
 */
static int
publish(struct apply_context *c)
{
	struct problems problems = { 0 };
	int status;

	if (!c->dirty)
		return 0;
	topology_validate(&c->cur, &problems);
	if (problems_count(&problems, PROBLEM_ERROR) > 0) {
		size_t i = 0;
		char why[512];

		while (problems.items[i].severity != PROBLEM_ERROR)
			i++;
		snprintf(why, sizeof(why), "the topology after the actions that succeeded is not valid (%s: %s): not written",
		    problems.items[i].path, problems.items[i].message);
		error_report("%s", why);
		log_publication(c, c->stored, "invalid", why);
		problems_free(&problems);
		return EXIT_STATUS_FAILURE;
	}
	problems_free(&problems);
	c->cur.version = c->stored + 1;
	error_clear_last();
	status = topology_save(&c->cur, c->opt->topology_location, c->stored);
	if (status != 0) {
		c->cur.version = c->stored;
		log_publication(c, c->stored + 1, status == EXIT_STATUS_CONFLICT ? "conflict" : "failed",
		    error_last());
		return status;
	}
	c->stored = c->cur.version;
	c->dirty = 0;
	log_publication(c, c->stored, "written", NULL);
	return 0;
}

static int
run(struct apply_context *c, const struct action *a, int *already)
{
	switch (a->kind) {
	case ACTION_FENCE:
		return apply_fence(c, a, already);
	case ACTION_PROMOTE:
		return apply_promote(c, a, already);
	case ACTION_REPOINT:
	case ACTION_CLONE:
		return apply_follow(c, a, already);
	case ACTION_ACTIVATE_RESERVE:
		return apply_activate(c, a, already);
	case ACTION_DETACH:
		return apply_detach(c, a, already);
	case ACTION_WIPE:
		return apply_wipe(c, a, already);
	case ACTION_MARK_DOWN:
	case ACTION_MARK_ACTIVE:
		/* Recorded in the topology only: no server is contacted. */
		return 0;
	case ACTION_ALERT:
		error_warning("%s alert: %s", a->severity == ALERT_CRITICAL ? "critical" : "warning",
		    a->reason);
		return 0;
	}
	return EXIT_STATUS_FAILURE;
}

/* Apply a's effect to topo; 1 when it changed something (a rerun's often does not). */
static int
take_effect(struct topology *topo, const struct action *a)
{
	struct topology_server before = { 0 };
	enum shard_state shard_before = SHARD_ACTIVE;

	if (a->server >= 0)
		before = topo->servers[a->server];
	if (a->shard >= 0)
		shard_before = topo->shards[a->shard].state;
	action_effect(topo, a);
	return (a->server >= 0 && (before.state != topo->servers[a->server].state ||
	    before.role != topo->servers[a->server].role ||
	    before.shard != topo->servers[a->server].shard)) ||
	    (a->shard >= 0 && shard_before != topo->shards[a->shard].state);
}

/* Once an activated reserve counts as a replica, the primary waits for it too. */
static int
after_effect(struct apply_context *c, const struct action *a)
{
	int primary;

	if (a->kind != ACTION_ACTIVATE_RESERVE)
		return 0;
	primary = topology_shard_primary(&c->cur, a->shard);
	return primary < 0 ? 0 : replica_sync_set(&c->cur, a->shard, primary, c->opt->sync_count,
	    c->opt->cfg);
}

static int
waits_on_failure(const struct action *a, const enum apply_result *results)
{
	size_t i;

	for (i = 0; i < a->after_count; i++)
		if (results[a->after[i]] != APPLY_DONE && results[a->after[i]] != APPLY_ALREADY)
			return 1;
	return 0;
}

int
apply_plan(const struct topology *topo, const struct action *actions, size_t count,
    const struct apply_options *opt, int64_t *published)
{
	struct apply_context c = { .opt = opt, .actions = actions, .count = count,
	    .stored = topo->version };
	enum apply_result *results = xcalloc(count ? count : 1, sizeof(*results));
	int first = 0, status, already;
	size_t i;
	double start;

	topology_copy(&c.cur, topo);
	for (i = 0; i < count; i++) {
		const struct action *a = &actions[i];

		c.detail[0] = '\0';
		if (first == EXIT_STATUS_CONFLICT || waits_on_failure(a, results)) {
			results[i] = APPLY_SKIPPED;
			log_action(&c, a, i, APPLY_SKIPPED, 0, first == EXIT_STATUS_CONFLICT ?
			    "the stored topology moved" : "an action it waits for did not succeed");
			continue;
		}
		/* A base backup takes a while: publish what clients need first. */
		if (a->kind == ACTION_CLONE && (status = publish(&c)) != 0) {
			if (first == 0 || status == EXIT_STATUS_CONFLICT)
				first = status;
			if (status == EXIT_STATUS_CONFLICT) {
				i--;
				continue;
			}
		}
		error_clear_last();
		already = 0;
		start = clock_seconds();
		status = run(&c, a, &already);
		if (status == 0) {
			c.dirty |= take_effect(&c.cur, a);
			status = after_effect(&c, a);
		}
		results[i] = status != 0 ? APPLY_FAILED : already ? APPLY_ALREADY : APPLY_DONE;
		log_action(&c, a, i, results[i], clock_seconds() - start, status != 0 ? error_last() : NULL);
		if (status != 0 && first == 0)
			first = status;
	}
	if (first != EXIT_STATUS_CONFLICT && (status = publish(&c)) != 0 &&
	    (first == 0 || status == EXIT_STATUS_CONFLICT))
		first = status;
	*published = c.stored;
	topology_free(&c.cur);
	free(results);
	return first;
}

int
orchestrator_lock(const char *topology_location, int wait, int *status)
{
	char *path = xconcat(topology_location, ".orchestrator.lock"), pid[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ssize_t n;

	*status = EXIT_STATUS_FAILURE;
	if (fd < 0) {
		error_report("could not open \"%s\": %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK) {
			n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			error_report("another orchestrator holds \"%s\"%s%s%s", path,
			    pid[0] != '\0' ? " (pid " : "", pid, pid[0] != '\0' ? ")" : "");
			error_hint("wait for it to finish, or use --wait");
			*status = EXIT_STATUS_CONFLICT;
		} else
			error_report("could not lock \"%s\": %s", path, strerror(errno));
		close(fd);
		free(path);
		return -1;
	}
	/* Who holds it, for the message above; the lock itself is the flock. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		error_warning("could not write the pid into \"%s\"", path);
	free(path);
	*status = 0;
	return fd;
}
