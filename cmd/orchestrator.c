/* orchestrator.c -- probe, plan and apply, every second: the failover loop
 *
 * The command holds the orchestrator lock for its whole life, turns
 * signals into a stop (SIGINT, SIGTERM) or a reopened log (SIGHUP), and
 * writes the decision log; the sweeps themselves are lib/loop.c.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "apply.h"
#include "config.h"
#include "error.h"
#include "loop.h"
#include "options.h"
#include "runas.h"
#include "topology.h"

/* Shorter sweeps would be probes of servers that cannot have changed. */
static const struct number_range RANGE_INTERVAL =
	{ 0.01, 86400, 0, 0, "a number of seconds from 0.01 to 86400" };

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

struct args {
	const char *topology;
	const char *config;
	const char *log;
	const char *state;
	double interval;
	double reprobe;
	double timeout;
	int64_t threshold;      /* 0: from the configuration */
	int64_t reserve_target;
	int sync_count;
	int once, wait, dry_run;
};

/* Where decision-log lines go: standard output, or a file reopened on SIGHUP. */
struct sink {
	const char *path;       /* NULL: standard output */
	FILE *out;
	int failed;             /* a write failed: reported once until one succeeds */
};

static void
usage(void)
{
	printf("usage: orchestrator [-c file] [-t file] [--dry-run] [--failure-threshold count]"
	    " [--interval seconds] [--log file] [--once] [--reprobe-interval seconds]"
	    " [--reserve-target count] [--state file] [--sync-count k] [--timeout seconds]"
	    " [--wait]\n"
	    "\n"
	    "Keep a cluster available: every interval, reload the topology, probe every\n"
	    "server, plan failover and repair (orchestrate's rules) and carry the plan out\n"
	    "(plan-apply's executor), logging one JSON line per decision.\n"
	    "\n"
	    "General options:\n"
	    "  -t, --topology=FILE           the topology file, reloaded every sweep and\n"
	    "                                replaced on changes (default: $SHARDKIT_TOPOLOGY)\n"
	    "  -c, --config=FILE             configuration file (default: $SHARDKIT_CONF,\n"
	    "                                then /etc/shardkit.conf)\n"
	    "      --log=FILE                append the decision log to FILE (reopened on\n"
	    "                                SIGHUP) instead of writing it to standard output\n"
	    "      --state=FILE              consecutive failed-probe counts (default:\n"
	    "                                FILE.orchestrator-state.json beside the topology)\n"
	    "      --once                    one sweep, then exit with its status (cron)\n"
	    "      --dry-run                 plan and log the actions as \"planned\", act on\n"
	    "                                nothing: no lock, the state file is not written\n"
	    "      --wait                    wait for another orchestrator to finish instead\n"
	    "                                of exiting 5\n"
	    "  -h, --help                    show this help, then exit\n"
	    "  -V, --version                 output version information, then exit\n"
	    "\n"
	    "Timing options:\n"
	    "      --interval=SECONDS        from the start of a sweep to the next (default 1)\n"
	    "      --reprobe-interval=SECONDS  the same while a server has failed fewer\n"
	    "                                probes than the threshold (default 0.2)\n"
	    "      --failure-threshold=COUNT consecutive failed probes before a server is\n"
	    "                                lost (default: failure_threshold of the\n"
	    "                                configuration, 3)\n"
	    "      --timeout=SECONDS         how long one action may wait (default 60)\n"
	    "\n"
	    "Planning options:\n"
	    "      --reserve-target=COUNT    alert when fewer reserves remain (default 0: never)\n"
	    "      --sync-count=K            commits wait for K active replicas (default 1)\n"
	    "\n"
	    "Exit status: 0 stopped by SIGINT or SIGTERM, or (--once) nothing to do or\n"
	    "every action done; 1 failure; 2 usage; 3 bad topology or state file;\n"
	    "4 configuration; 5 another orchestrator holds the lock, or (--once) the\n"
	    "topology moved; with --once also 6 a server needed was down, 7 a server was\n"
	    "not in the role needed, 8 actions planned (--dry-run), 9 timeout.\n");
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "failure-threshold", required_argument, NULL, 'F' },
		{ "interval", required_argument, NULL, 'i' },
		{ "log", required_argument, NULL, 'l' },
		{ "once", no_argument, NULL, '1' },
		{ "reprobe-interval", required_argument, NULL, 'r' },
		{ "reserve-target", required_argument, NULL, 'R' },
		{ "state", required_argument, NULL, 's' },
		{ "sync-count", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:t:hV", options, NULL)) != -1) {
		switch (c) {
		case 't': a->topology = optarg; break;
		case 'c': a->config = optarg; break;
		case 'n': a->dry_run = 1; break;
		case 'l': a->log = optarg; break;
		case '1': a->once = 1; break;
		case 's': a->state = optarg; break;
		case 'w': a->wait = 1; break;
		case 'F':
			a->threshold = (int64_t)option_integer("--failure-threshold", optarg, 1, 1000);
			break;
		case 'i':
			a->interval = option_number("--interval", optarg, &RANGE_INTERVAL);
			break;
		case 'r':
			a->reprobe = option_number("--reprobe-interval", optarg, &RANGE_INTERVAL);
			break;
		case 'R':
			a->reserve_target = (int64_t)option_integer("--reserve-target", optarg, 0, 1000000);
			break;
		case 'k':
			a->sync_count = (int)option_integer("--sync-count", optarg, 1, 64);
			break;
		case 'T':
			a->timeout = option_number("--timeout", optarg, &RANGE_SECONDS);
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("orchestrator (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	if (optind < argc)
		error_usage("unexpected argument \"%s\"", argv[optind]);
	if (a->topology == NULL)
		a->topology = getenv("SHARDKIT_TOPOLOGY");
	if (a->topology == NULL || a->topology[0] == '\0')
		error_usage("no topology: give -t FILE or set SHARDKIT_TOPOLOGY");
	/* Reloaded every sweep, replaced on changes, locked beside: a file. */
	if (strcmp(a->topology, "-") == 0)
		error_usage("the topology must be a file, not standard input");
}

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
on_hangup(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

/* SA_RESTART: the executor's waits on its children must not fail with EINTR. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hangup;
	sigaction(SIGHUP, &sa, NULL);
}

static int
sink_open(struct sink *s)
{
	if (s->path == NULL) {
		s->out = stdout;
		return 0;
	}
	s->out = fopen(s->path, "a");
	if (s->out == NULL) {
		error_report("could not open log file \"%s\": %s", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

/* loop_log_fn: one line, written whole and flushed (tail -f, log shippers). */
static void
sink_write(json_t *line, void *arg)
{
	struct sink *s = arg;
	char *text;
	int ok;

	if (reopen_requested && s->path != NULL) {
		reopen_requested = 0;
		if (s->out != NULL)
			fclose(s->out);
		if (sink_open(s) != 0)
			s->out = NULL;
	}
	if (s->out == NULL)
		return;
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	ok = text != NULL && fprintf(s->out, "%s\n", text) >= 0 && fflush(s->out) == 0;
	free(text);
	if (!ok && !s->failed)
		error_report("could not write the decision log to %s: %s",
		    s->path != NULL ? s->path : "standard output", strerror(errno));
	s->failed = !ok;
}

/* Fill the loop's options from the arguments and the configuration. */
static void
loop_options_set(struct loop_options *lo, const struct args *a, const struct config *cfg)
{
	lo->topology_location = a->topology;
	lo->state_path = a->state;
	lo->cfg = cfg;
	lo->interval = a->interval > 0 ? a->interval : LOOP_DEFAULT_INTERVAL;
	lo->reprobe_interval = a->reprobe > 0 ? a->reprobe : LOOP_DEFAULT_REPROBE;
	lo->probe_timeout = cfg->probe_timeout;
	lo->action_timeout = a->timeout > 0 ? a->timeout : LOOP_DEFAULT_ACTION_TIMEOUT;
	lo->failure_threshold = a->threshold > 0 ? a->threshold : cfg->failure_threshold;
	lo->reserve_target = a->reserve_target;
	lo->sync_count = a->sync_count > 0 ? a->sync_count : 1;
	lo->dry_run = a->dry_run;
	lo->stop = &stop_requested;
}

/* Checks, lock, then the sweeps; returns the exit status. */
static int
run(const struct args *a, struct loop_options *lo, struct sink *sink)
{
	struct topology topo;
	struct loop lp;
	int status, lock = -1;

	/* A bad or missing topology is the operator's to fix now, not a log line a second. */
	if ((status = topology_load(a->topology, &topo)) != 0)
		return status;
	topology_free(&topo);
	if (!a->dry_run && (lock = orchestrator_lock(a->topology, a->wait, &status)) < 0)
		return status;
	/* Only now: until the lock is ours (--wait), a signal simply ends us. */
	catch_signals();
	if (sink_open(sink) != 0) {
		status = EXIT_STATUS_FAILURE;
	} else if ((status = loop_init(&lp, lo)) == 0) {
		status = a->once ? loop_sweep(&lp) : loop_run(&lp);
		loop_free(&lp);
	}
	if (sink->out != NULL && sink->out != stdout && fclose(sink->out) != 0 && status == 0)
		status = EXIT_STATUS_FAILURE;
	if (lock >= 0)
		close(lock);
	return status;
}

int
main(int argc, char **argv)
{
	struct loop_options lo = { 0 };
	struct args a = { 0 };
	struct sink sink = { 0 };
	struct runas ra = { 0 };
	struct config cfg;
	char *state = NULL;
	int status;

	error_set_program(argv[0]);
	parse_args(argc, argv, &a);
	if (config_load(a.config, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	if (!a.dry_run && runas_init(&ra, cfg.run_as) != 0) {
		config_free(&cfg);
		error_finish(EXIT_STATUS_CONFIG);
	}
	if (a.state == NULL)
		a.state = state = xconcat(a.topology, ".orchestrator-state.json");
	loop_options_set(&lo, &a, &cfg);
	lo.ra = &ra;
	lo.log = sink_write;
	lo.log_arg = &sink;
	sink.path = a.log;
	status = run(&a, &lo, &sink);
	free(state);
	if (!a.dry_run)
		runas_free(&ra);
	config_free(&cfg);
	error_finish(status);
}
