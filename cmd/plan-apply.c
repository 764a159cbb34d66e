/* plan-apply.c -- carry out an orchestrate plan on the servers, then publish the topology
 *
 * The executor half of the orchestrator (lib/apply.h): it reads the
 * shardkit-actions(5) document orchestrate wrote, takes the orchestrator
 * lock beside the topology, refuses a plan made from another version of
 * it, and carries out the actions, printing one JSON line per decision.
 */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "apply.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "options.h"
#include "orchestrate.h"
#include "runas.h"
#include "topology.h"

static void
usage(void)
{
	printf("usage: plan-apply [-c file] [-t file] [--sync-count k] [--timeout seconds] [--wait] [file]\n"
	    "\n"
	    "Carry out the actions of an orchestrate(1) plan (FILE, or standard input)\n"
	    "on the servers, each only once those it waits for succeeded, and publish\n"
	    "the topology they lead to with compare-and-swap on its version.  Prints\n"
	    "one JSON line per action and per topology written.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE       the topology the plan was made from, which is\n"
	    "                            updated (default: $SHARDKIT_TOPOLOGY)\n"
	    "  -c, --config=FILE         configuration file (default: $SHARDKIT_CONF,\n"
	    "                            then /etc/shardkit.conf)\n"
	    "      --sync-count=K        commits wait for K active replicas (default: 1)\n"
	    "      --timeout=SECONDS     how long one action may wait for a promotion,\n"
	    "                            a stop, streaming or a catch-up (default: 60)\n"
	    "      --wait                wait for the orchestrator lock instead of failing\n"
	    "  -h, --help                show this help, then exit\n"
	    "  -V, --version             output version information, then exit\n"
	    "\n"
	    "Exit status: 0 every action succeeded, 1 an action failed, 2 usage, 3 bad\n"
	    "plan, 4 configuration, 5 stale plan, lock held or topology conflict,\n"
	    "6 a server was down, 7 a server in the wrong role, 9 timeout.\n");
}

struct args {
	const char *topology, *config, *plan;
	int wait;
	struct apply_options apply;
};

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "sync-count", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->apply.sync_count = 1;
	a->apply.timeout = 60;
	while ((c = getopt_long(argc, argv, "t:c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 't': a->topology = optarg; break;
		case 'c': a->config = optarg; break;
		case 'k':
			a->apply.sync_count = (int)option_integer("--sync-count", optarg, 1, 64);
			break;
		case 'T': a->apply.timeout = option_number("--timeout", optarg, &RANGE_SECONDS); break;
		case 'w': a->wait = 1; break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("plan-apply (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	if (argc - optind > 1)
		error_usage("unexpected argument \"%s\"", argv[optind + 1]);
	a->plan = optind < argc ? argv[optind] : "-";
	if (a->topology == NULL)
		a->topology = getenv("SHARDKIT_TOPOLOGY");
	if (a->topology == NULL || a->topology[0] == '\0')
		error_usage("the topology file to update is required (-t or $SHARDKIT_TOPOLOGY)");
	if (strcmp(a->topology, "-") == 0)
		error_usage("the topology must be a file: plan-apply writes it back");
}

/* Each decision as one line, flushed at once so a log follows the failover live. */
static void
print_line(json_t *line, void *arg)
{
	(void)arg;
	if (json_document_print_line(line, stdout) == 0)
		fflush(stdout);
}

/*
 * Read the plan against topo.  A plan made from another topology version is
 * stale (exit 5) whatever else is wrong with it: it may name servers that
 * have left the topology since, which is no fault of the plan's.
 */
static int
read_plan(const struct args *a, const struct topology *topo, struct action_list *list)
{
	struct problems problems = { 0 };
	json_t *doc, *version;
	int status;

	if ((status = json_document_load(a->plan, &doc)) != 0)
		return status;
	version = json_object_get(doc, "topology_version");
	if (json_is_integer(version) && json_integer_value(version) != topo->version) {
		error_report("the plan was made from topology version %lld, but \"%s\" is version %lld",
		    (long long)json_integer_value(version), a->topology, (long long)topo->version);
		error_hint("plan again from the stored topology: health-probe | orchestrate | plan-apply");
		json_decref(doc);
		return EXIT_STATUS_CONFLICT;
	}
	status = actions_from_json(doc, topo, list, &problems) == 0 ? 0 : EXIT_STATUS_INPUT;
	problems_report(&problems, json_document_source(a->plan), 0);
	problems_free(&problems);
	json_decref(doc);
	return status;
}

static int
execute(struct args *a)
{
	struct action_list list;
	struct topology topo;
	int64_t published;
	int status, lock;

	if ((lock = orchestrator_lock(a->topology, a->wait, &status)) < 0)
		return status;
	if ((status = topology_load(a->topology, &topo)) != 0) {
		close(lock);
		return status;
	}
	memset(&list, 0, sizeof(list));
	status = read_plan(a, &topo, &list);
	if (status == 0)
		status = apply_plan(&topo, list.actions, list.count, &a->apply, &published);
	action_list_free(&list);
	topology_free(&topo);
	close(lock);
	return status;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct config cfg;
	struct runas ra;
	int status;

	error_set_program(argv[0]);
	parse_args(argc, argv, &a);
	if (config_load(a.config, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	if (runas_init(&ra, cfg.run_as) != 0) {
		config_free(&cfg);
		error_finish(EXIT_STATUS_CONFIG);
	}
	a.apply.topology_location = a.topology;
	a.apply.cfg = &cfg;
	a.apply.ra = &ra;
	a.apply.log = print_line;
	status = execute(&a);
	runas_free(&ra);
	config_free(&cfg);
	error_finish(status);
}
