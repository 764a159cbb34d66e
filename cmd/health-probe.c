/* health-probe.c -- probe every server of a topology at once; write a health document */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "file.h"
#include "health.h"
#include "options.h"
#include "probe.h"
#include "topology.h"

/* Longer would not be a health check any more; it also bounds the sleep. */

struct run {
	const struct topology *topo;
	struct probe_target *targets;
	struct probe_options opts;
	int prometheus;
	int watch;
	const char *output;     /* NULL: standard output */
};

static void
usage(void)
{
	printf("usage: health-probe [-c file] [-f format] [-o file] [-t file]"
	    " [--timeout seconds] [--watch seconds]\n"
	    "\n"
	    "Probe every server of a topology (from -t, $SHARDKIT_TOPOLOGY or standard\n"
	    "input) at once and write its health document (shardkit-health(5)).\n"
	    "\n"
	    "General options:\n"
	    "  -t, --topology=FILE      read the topology from FILE (\"-\": standard input)\n"
	    "  -c, --config=FILE        configuration file (default: $SHARDKIT_CONF,\n"
	    "                           then /etc/shardkit.conf)\n"
	    "  -f, --format=FORMAT      \"json\" (default) or \"prometheus\" (text exposition\n"
	    "                           format for node_exporter's textfile collector)\n"
	    "  -o, --output=FILE        replace FILE atomically instead of writing to stdout\n"
	    "      --watch=SECONDS      probe again every SECONDS until killed; JSON is\n"
	    "                           written as one line per sweep\n"
	    "  -h, --help               show this help, then exit\n"
	    "  -V, --version            output version information, then exit\n"
	    "\n"
	    "Connection options:\n"
	    "      --timeout=SECONDS    deadline for the whole sweep, fractional\n"
	    "                           (default: probe_timeout of the configuration, 2)\n"
	    "\n"
	    "Exit status: 0 all healthy, 6 a server is unreachable, 7 a role differs\n"
	    "from the topology or a primary is read-only (6 takes precedence).\n");
}

static int
write_output(const struct run *run, const char *text)
{
	size_t len = strlen(text);

	if (run->output != NULL)
		return file_write_atomic(run->output, text, len, 0644);
	/* error_finish() reports the failure (and keeps quiet on a closed pipe). */
	if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
		return -1;
	return 0;
}

/*
 * One sweep: probe, judge, render, write.  Returns the health exit status,
 * or EXIT_STATUS_FAILURE when the probe or the output failed.
 */
static int
sweep(const struct run *run, struct probe_result *results)
{
	struct health_report report;
	time_t probed_at = time(NULL);
	char *text;
	int status;

	if (probe_run(run->targets, run->topo->server_count, &run->opts, results) != 0)
		return EXIT_STATUS_FAILURE;
	health_assess(run->topo, results, run->opts.timeout, probed_at, &report);
	status = health_exit_status(&report.summary);
	text = run->prometheus ? health_render_prometheus(&report) :
	    health_render_json(&report, run->watch);
	if (text == NULL || write_output(run, text) != 0)
		status = EXIT_STATUS_FAILURE;
	free(text);
	health_report_free(&report);
	return status;
}

static void
sleep_until(const struct timespec *start, double interval)
{
	struct timespec now, wake;
	double left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = interval - ((double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9);
	if (left <= 0)
		return;
	wake.tv_sec = (time_t)left;
	wake.tv_nsec = (long)((left - (double)wake.tv_sec) * 1e9);
	while (nanosleep(&wake, &wake) != 0 && errno == EINTR)
		;
}

/* --watch: sweeps start every interval (back to back if one takes longer). */
static int
watch(const struct run *run, struct probe_result *results, double interval)
{
	struct timespec start;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &start);
		if (sweep(run, results) == EXIT_STATUS_FAILURE)
			return EXIT_STATUS_FAILURE;
		sleep_until(&start, interval);
	}
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "watch", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *location = NULL, *config_path = NULL;
	double timeout = 0, interval = 0;
	struct run run = { 0 };
	struct probe_result *results;
	struct topology topo;
	struct config cfg;
	int c, status;
	size_t i;

	error_set_program(argv[0]);
	while ((c = getopt_long(argc, argv, "c:f:o:t:hV", options, NULL)) != -1) {
		switch (c) {
		case 't':
			location = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "prometheus") == 0)
				run.prometheus = 1;
			else if (strcmp(optarg, "json") != 0)
				error_usage("invalid --format \"%s\": expected \"json\" or \"prometheus\"", optarg);
			break;
		case 'o':
			run.output = optarg;
			break;
		case 'T':
			timeout = option_number("--timeout", optarg, &RANGE_SECONDS);
			break;
		case 'W':
			interval = option_number("--watch", optarg, &RANGE_SECONDS);
			run.watch = 1;
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("health-probe (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		error_usage("unexpected argument \"%s\"", argv[0]);
	/* Concatenated expositions are not one valid exposition. */
	if (run.watch && run.prometheus && run.output == NULL)
		error_usage("--watch with --format prometheus needs --output FILE");
	if (location == NULL)
		location = topology_default_location();

	if (config_load(config_path, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	if ((status = topology_load(location, &topo)) != 0) {
		config_free(&cfg);
		error_finish(status);
	}
	run.topo = &topo;
	run.opts.timeout = timeout > 0 ? timeout : cfg.probe_timeout;
	run.opts.passfile = cfg.credentials_file;
	run.targets = xcalloc(topo.server_count, sizeof(*run.targets));
	for (i = 0; i < topo.server_count; i++) {
		run.targets[i].id = topo.servers[i].id;
		run.targets[i].conninfo = topo.servers[i].conninfo;
	}
	results = xcalloc(topo.server_count, sizeof(*results));
	status = run.watch ? watch(&run, results, interval) : sweep(&run, results);
	free(results);
	free(run.targets);
	topology_free(&topo);
	config_free(&cfg);
	error_finish(status);
}
