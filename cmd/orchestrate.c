/* orchestrate.c -- plan failover and repair from a topology and a health document
 *
 * A pure planner: it reads, decides and prints; it never connects to a
 * server.  Its one side effect is the --state file of failed-probe counts.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "health_read.h"
#include "json.h"
#include "options.h"
#include "orchestrate.h"
#include "topology.h"

struct args {
	const char *topology;
	const char *health;
	const char *state;
	const char *config;
	int64_t threshold;      /* 0: from the configuration */
	int64_t reserve_target;
};

static void
usage(void)
{
	printf("usage: orchestrate -H file [-c file] [-s file] [-t file]"
	    " [--failure-threshold count] [--reserve-target count]\n"
	    "\n"
	    "Plan what to do about a cluster's health: read a topology and a health\n"
	    "document (health-probe) and write the actions to take, each with its reason,\n"
	    "as a shardkit-actions(5) document.  No server is contacted.\n"
	    "\n"
	    "General options:\n"
	    "  -H, --health=FILE             the health document (\"-\": standard input)\n"
	    "  -t, --topology=FILE           the topology (default: $SHARDKIT_TOPOLOGY,\n"
	    "                                else standard input)\n"
	    "  -s, --state=FILE              carry consecutive failed-probe counts between\n"
	    "                                runs in FILE (read, then replaced atomically)\n"
	    "  -c, --config=FILE             configuration file (default: $SHARDKIT_CONF,\n"
	    "                                then /etc/shardkit.conf)\n"
	    "  -h, --help                    show this help, then exit\n"
	    "  -V, --version                 output version information, then exit\n"
	    "\n"
	    "Planning options:\n"
	    "      --failure-threshold=COUNT consecutive failed probes before a server is\n"
	    "                                lost (default: failure_threshold of the\n"
	    "                                configuration, 3)\n"
	    "      --reserve-target=COUNT    alert when fewer reserves remain (default 0: never)\n"
	    "\n"
	    "Exit status: 0 nothing to do, 8 actions planned, 5 the health document does\n"
	    "not describe this topology (alerts only), 1 failure, 2 usage, 3 bad input,\n"
	    "4 configuration.\n");
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option options[] = {
		{ "health", required_argument, NULL, 'H' },
		{ "topology", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "failure-threshold", required_argument, NULL, 'F' },
		{ "reserve-target", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "H:t:s:c:hV", options, NULL)) != -1) {
		switch (c) {
		case 'H': a->health = optarg; break;
		case 't': a->topology = optarg; break;
		case 's': a->state = optarg; break;
		case 'c': a->config = optarg; break;
		case 'F':
			a->threshold = (int64_t)option_integer("--failure-threshold", optarg, 1, 1000);
			break;
		case 'R':
			a->reserve_target = (int64_t)option_integer("--reserve-target", optarg, 0, 1000000);
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("orchestrate (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	if (optind < argc)
		error_usage("unexpected argument \"%s\"", argv[optind]);
	if (a->health == NULL)
		error_usage("no health document: give -H FILE (\"-\" for standard input)");
	if (a->topology == NULL)
		a->topology = topology_default_location();
	if (strcmp(a->topology, "-") == 0 && strcmp(a->health, "-") == 0)
		error_usage("the topology and the health document cannot both be read from standard input");
}

/*
 * Count this sweep against the state file (when given) and plan.  The state
 * is written before the plan is printed: a plan whose counts were lost
 * would be made again from too few failures, never from too many.
 */
static int
run(const struct args *a, const struct topology *topo, const struct health_doc *health)
{
	struct failure_state prev = { 0 }, next;
	struct orchestrate_input in = { 0 };
	struct orchestrate_plan plan;
	int64_t *counts = xcalloc(topo->server_count + 1, sizeof(*counts));
	json_t *doc;
	int status;

	if (a->state != NULL && (status = failure_state_load(a->state, &prev)) != 0) {
		free(counts);
		return status;
	}
	failure_state_count(a->state != NULL ? &prev : NULL, topo, health, counts, &next);
	in.topo = topo;
	in.health = health;
	in.failures = counts;
	in.failure_threshold = a->threshold;
	in.reserve_target = a->reserve_target;
	orchestrate_plan(&in, &plan);
	status = orchestrate_exit_status(&plan);
	/* A sweep of another topology is not counted: its servers are not these. */
	if (a->state != NULL && !plan.mismatch && failure_state_save(&next, a->state) != 0)
		status = EXIT_STATUS_FAILURE;
	if (status != EXIT_STATUS_FAILURE) {
		doc = orchestrate_plan_json(&plan, &in);
		if (json_document_print(doc, stdout) != 0)
			status = EXIT_STATUS_FAILURE;
		json_decref(doc);
	}
	orchestrate_plan_free(&plan);
	failure_state_free(&prev);
	failure_state_free(&next);
	free(counts);
	return status;
}

int
main(int argc, char **argv)
{
	struct args a = { 0 };
	struct health_doc health;
	struct topology topo;
	struct config cfg;
	int status;

	error_set_program(argv[0]);
	parse_args(argc, argv, &a);
	if (config_load(a.config, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	if (a.threshold == 0)
		a.threshold = cfg.failure_threshold;
	config_free(&cfg);
	if ((status = topology_load(a.topology, &topo)) != 0)
		error_finish(status);
	if ((status = health_doc_load(a.health, &health)) != 0) {
		topology_free(&topo);
		error_finish(status);
	}
	status = run(&a, &topo, &health);
	health_doc_free(&health);
	topology_free(&topo);
	error_finish(status);
}
