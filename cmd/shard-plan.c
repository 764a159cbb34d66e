/* shard-plan.c -- plan new shards from new servers, or a shard's removal */

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "json.h"
#include "options.h"
#include "plan.h"
#include "reserve.h"
#include "topology.h"

/* The largest reserve target accepted, as reserve-calc's largest --servers. */
#define RESERVE_MAX UINT64_C(1000000000000)

enum {
	OPT_CRASH_PROB = 256,
	OPT_MTBF_DAYS,
	OPT_REPAIR_DAYS,
	OPT_CONFIDENCE,
	OPT_SHARD_PREFIX,
	OPT_REMOVE_SHARD,
};

static void
usage(void)
{
	printf("usage: shard-plan [-t file] [--reserve n | --crash-prob p | --mtbf-days d --repair-days r] [--confidence c] [--shard-prefix prefix] [--remove-shard shard]\n"
	    "\n"
	    "Plan new shards from the unassigned servers of a topology (from -t or\n"
	    "standard input), or the removal of a shard, and write the plan, with the\n"
	    "resulting topology, to standard output.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE       read the topology from FILE (\"-\": standard input)\n"
	    "  -h, --help                show this help, then exit\n"
	    "  -V, --version             output version information, then exit\n"
	    "\n"
	    "Forming shards:\n"
	    "  -r, --reserve=N           keep N reserve servers in all (default 0)\n"
	    "      --crash-prob=P        or compute the reserve, as reserve-calc does, for\n"
	    "                            a probability P that a server is down on a day\n"
	    "      --mtbf-days=D         or for servers failing every D days on average...\n"
	    "      --repair-days=R       ...and taking R days to come back\n"
	    "      --confidence=C        share of days fully covered (default 0.99)\n"
	    "      --shard-prefix=PREFIX name new shards PREFIX1, PREFIX2, ... (\"s\")\n"
	    "\n"
	    "Removing a shard:\n"
	    "      --remove-shard=SHARD  hand SHARD's ranges to its successors and its\n"
	    "                            servers to the reserve pool\n");
}

/* Which of the options that choose the reserve were given. */
struct given {
	int reserve, crash, mtbf, repair, confidence;
};

static void
check_combinations(const struct given *g, struct plan_options *o)
{
	if (g->crash && (g->mtbf || g->repair))
		error_usage("--crash-prob and --mtbf-days/--repair-days are mutually exclusive");
	if (g->repair && !g->mtbf)
		error_usage("--repair-days needs --mtbf-days");
	if (g->mtbf && !g->repair)
		error_usage("--mtbf-days needs --repair-days");
	if (g->reserve && (g->crash || g->mtbf))
		error_usage("--reserve and a failure rate (--crash-prob, --mtbf-days) are mutually exclusive");
	if (g->confidence && !g->crash && !g->mtbf)
		error_usage("--confidence needs a failure rate: --crash-prob, or --mtbf-days with --repair-days");
	if (o->shard_prefix != NULL && !plan_prefix_valid(o->shard_prefix))
		error_usage("invalid --shard-prefix \"%s\": expected up to %d letters, digits, '_', '.' or '-', starting with a letter or digit",
		    o->shard_prefix, TOPOLOGY_ID_MAX - 9);
	if (o->action == PLAN_REMOVE_SHARD && (g->reserve || g->crash || g->mtbf || o->shard_prefix))
		error_usage("--remove-shard cannot be combined with the options that form shards");
	if (g->mtbf)
		o->crash_prob = reserve_down_prob(o->mtbf_days, o->repair_days);
	o->reserve_source = g->reserve ? PLAN_RESERVE_GIVEN :
	    g->crash || g->mtbf ? PLAN_RESERVE_COMPUTED : PLAN_RESERVE_DEFAULT;
}

static void
parse_options(int argc, char **argv, struct plan_options *o, const char **location)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "crash-prob", required_argument, NULL, OPT_CRASH_PROB },
		{ "mtbf-days", required_argument, NULL, OPT_MTBF_DAYS },
		{ "repair-days", required_argument, NULL, OPT_REPAIR_DAYS },
		{ "confidence", required_argument, NULL, OPT_CONFIDENCE },
		{ "shard-prefix", required_argument, NULL, OPT_SHARD_PREFIX },
		{ "remove-shard", required_argument, NULL, OPT_REMOVE_SHARD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct given g = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "t:r:hV", options, NULL)) != -1) {
		switch (c) {
		case 't':
			*location = optarg;
			break;
		case 'r':
			o->reserve = option_integer("--reserve", optarg, 0, RESERVE_MAX);
			g.reserve = 1;
			break;
		case OPT_CRASH_PROB:
			o->crash_prob = option_number("--crash-prob", optarg, &RANGE_CRASH_PROB);
			g.crash = 1;
			break;
		case OPT_MTBF_DAYS:
			o->mtbf_days = option_number("--mtbf-days", optarg, &RANGE_MTBF_DAYS);
			g.mtbf = 1;
			break;
		case OPT_REPAIR_DAYS:
			o->repair_days = option_number("--repair-days", optarg, &RANGE_REPAIR_DAYS);
			g.repair = 1;
			break;
		case OPT_CONFIDENCE:
			o->confidence = option_number("--confidence", optarg, &RANGE_CONFIDENCE);
			g.confidence = 1;
			break;
		case OPT_SHARD_PREFIX:
			o->shard_prefix = optarg;
			break;
		case OPT_REMOVE_SHARD:
			o->remove_shard = optarg;
			o->action = PLAN_REMOVE_SHARD;
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("shard-plan (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	if (optind < argc)
		error_usage("unexpected argument \"%s\"", argv[optind]);
	check_combinations(&g, o);
}

int
main(int argc, char **argv)
{
	struct plan_options options = { .confidence = PLAN_DEFAULT_CONFIDENCE };
	const char *location = NULL;
	struct topology topo;
	struct plan plan;
	char why[512];
	json_t *doc;
	size_t i;
	int status;

	error_set_program(argv[0]);
	parse_options(argc, argv, &options, &location);
	/* A transformer reads the pipeline, never $SHARDKIT_TOPOLOGY (topology.h). */
	if (location == NULL)
		location = "-";

	if ((status = topology_load(location, &topo)) != 0)
		error_finish(status);
	status = plan_build(&topo, &options, &plan, why, sizeof(why));
	topology_free(&topo);
	if (status == EXIT_STATUS_USAGE)
		error_usage("%s", why);
	if (status != 0)
		error_exit(status, "%s", why);
	/* Scripts read .notes; an operator piping to jq .topology sees them here. */
	for (i = 0; i < plan.note_count; i++)
		error_warning("%s", plan.notes[i]);
	doc = plan_to_json(&plan);
	plan_free(&plan);
	status = json_document_print(doc, stdout) == 0 ? EXIT_STATUS_OK : EXIT_STATUS_FAILURE;
	json_decref(doc);
	error_finish(status);
}
