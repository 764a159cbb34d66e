/* shard-plan.c -- plan new shards from new servers, or a shard's removal */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "json.h"
#include "plan.h"
#include "topology.h"

enum {
	OPT_CRASH_PROB = 256,
	OPT_CONFIDENCE,
	OPT_SHARD_PREFIX,
	OPT_REMOVE_SHARD,
};

static void
usage(void)
{
	printf("usage: shard-plan [-t file] [--reserve n | --crash-prob p [--confidence c]] [--shard-prefix prefix] [--remove-shard shard]\n"
	    "\n"
	    "Plan new shards from the unassigned servers of a topology (from -t,\n"
	    "$SHARDKIT_TOPOLOGY or standard input), or the removal of a shard, and\n"
	    "write the plan, with the resulting topology, to standard output.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE       read the topology from FILE (\"-\": standard input)\n"
	    "  -h, --help                show this help, then exit\n"
	    "  -V, --version             output version information, then exit\n"
	    "\n"
	    "Forming shards:\n"
	    "  -r, --reserve=N           keep N reserve servers in all (default 0)\n"
	    "      --crash-prob=P        compute the reserve for a daily crash probability P\n"
	    "      --confidence=C        cover all crashes on a fraction C of days (0.99)\n"
	    "      --shard-prefix=PREFIX name new shards PREFIX1, PREFIX2, ... (\"s\")\n"
	    "\n"
	    "Removing a shard:\n"
	    "      --remove-shard=SHARD  hand SHARD's ranges to its successors and its\n"
	    "                            servers to the reserve pool\n");
}

/* A whole, non-negative decimal number, or exit with a usage error. */
static uint64_t
parse_count(const char *option, const char *text)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || errno != 0)
		error_usage("invalid %s \"%s\": expected a whole number of servers", option, text);
	return (uint64_t)n;
}

/* A probability within [low, high] (open ends when open is set), or exit. */
static double
parse_probability(const char *option, const char *text, int open)
{
	double p;
	char *end;

	errno = 0;
	p = strtod(text, &end);
	if (end == text || *end != '\0' || errno != 0 || !isfinite(p) ||
	    p < 0 || p > 1 || (open && (p == 0 || p == 1)))
		error_usage("invalid %s \"%s\": expected a number %s", option, text,
		    open ? "between 0 and 1, exclusive" : "from 0 to 1");
	return p;
}

static void
parse_options(int argc, char **argv, struct plan_options *o, const char **location)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "crash-prob", required_argument, NULL, OPT_CRASH_PROB },
		{ "confidence", required_argument, NULL, OPT_CONFIDENCE },
		{ "shard-prefix", required_argument, NULL, OPT_SHARD_PREFIX },
		{ "remove-shard", required_argument, NULL, OPT_REMOVE_SHARD },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, given_reserve = 0, given_crash = 0, given_confidence = 0;

	while ((c = getopt_long(argc, argv, "t:r:hV", options, NULL)) != -1) {
		switch (c) {
		case 't':
			*location = optarg;
			break;
		case 'r':
			o->reserve = parse_count("--reserve", optarg);
			given_reserve = 1;
			break;
		case OPT_CRASH_PROB:
			o->crash_prob = parse_probability("--crash-prob", optarg, 0);
			given_crash = 1;
			break;
		case OPT_CONFIDENCE:
			o->confidence = parse_probability("--confidence", optarg, 1);
			given_confidence = 1;
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
	if (given_reserve && given_crash)
		error_usage("--reserve and --crash-prob cannot be used together");
	if (given_confidence && !given_crash)
		error_usage("--confidence needs --crash-prob");
	if (o->shard_prefix != NULL && !plan_prefix_valid(o->shard_prefix))
		error_usage("invalid --shard-prefix \"%s\": expected up to %d letters, digits, '_', '.' or '-', starting with a letter or digit",
		    o->shard_prefix, TOPOLOGY_ID_MAX - 9);
	if (o->action == PLAN_REMOVE_SHARD && (given_reserve || given_crash || o->shard_prefix))
		error_usage("--remove-shard cannot be combined with --reserve, --crash-prob or --shard-prefix");
	o->reserve_source = given_reserve ? PLAN_RESERVE_GIVEN :
	    given_crash ? PLAN_RESERVE_COMPUTED : PLAN_RESERVE_DEFAULT;
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
	if (location == NULL)
		location = topology_default_location();

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
