/* ring-place.c -- give ring tokens to every shard (or server) that has none */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "json.h"
#include "options.h"
#include "ring.h"
#include "topology.h"

static void
usage(void)
{
	printf("usage: ring-place [--stats] [-c file] [-t file] [--vnodes n]\n"
	    "\n"
	    "Read a topology (from -t or standard input) and write it to standard output\n"
	    "with ring tokens for every shard (multi-master: every server) that has none.\n"
	    "Existing tokens never move.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE   read the topology from FILE (\"-\": standard input)\n"
	    "      --vnodes=N        tokens per new owner, 1 to 65536 (default: the\n"
	    "                        topology's vnodes, else the configuration's)\n"
	    "      --stats           print each owner's share of the ring instead\n"
	    "  -c, --config=FILE     read settings from FILE (default: $SHARDKIT_CONF,\n"
	    "                        then /etc/shardkit.conf)\n"
	    "  -h, --help            show this help, then exit\n"
	    "  -V, --version         output version information, then exit\n");
}

/* Each owner's share of the ring, and the balance figures, as a document. */
static json_t *
stats_json(const struct topology *topo)
{
	int multi = topo->mode == MODE_MULTI_MASTER;
	json_t *doc = json_object(), *owners = json_array();
	double *fractions, max = 0.0, min = 1.0, mean;
	struct ring ring;
	size_t i;

	ring_build(&ring, topo, RING_ALL);
	fractions = xcalloc(ring.owner_count ? ring.owner_count : 1, sizeof(*fractions));
	ring_ownership(&ring, fractions);
	for (i = 0; i < ring.owner_count; i++) {
		size_t tokens = multi ? topo->servers[i].token_count : topo->shards[i].token_count;

		json_array_append_new(owners, json_pack("{s:s, s:I, s:f}",
		    "id", multi ? topo->servers[i].id : topo->shards[i].id,
		    "tokens", (json_int_t)tokens, "fraction", fractions[i]));
		if (fractions[i] > max)
			max = fractions[i];
		if (fractions[i] < min)
			min = fractions[i];
	}
	mean = ring.owner_count ? 1.0 / (double)ring.owner_count : 0.0;
	json_object_set_new(doc, "mode", json_string(topology_mode_name(topo->mode)));
	json_object_set_new(doc, "owner", json_string(multi ? "server" : "shard"));
	json_object_set_new(doc, "owners", owners);
	json_object_set_new(doc, "tokens", json_integer((json_int_t)ring.count));
	json_object_set_new(doc, "min", json_real(ring.owner_count ? min : 0.0));
	json_object_set_new(doc, "max", json_real(max));
	json_object_set_new(doc, "mean", json_real(mean));
	json_object_set_new(doc, "max_over_mean",
	    ring.count ? json_real(max / mean) : json_null());
	free(fractions);
	ring_free(&ring);
	return doc;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "vnodes", required_argument, NULL, 'n' },
		{ "stats", no_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *location = NULL, *config_path = NULL;
	int vnodes = 0, stats = 0, c, status;
	struct topology topo;
	struct config cfg;

	error_set_program(argv[0]);
	while ((c = getopt_long(argc, argv, "t:c:hV", options, NULL)) != -1) {
		switch (c) {
		case 't':
			location = optarg;
			break;
		case 'n':
			vnodes = (int)option_integer("--vnodes", optarg, 1, RING_VNODES_MAX);
			break;
		case 's':
			stats = 1;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("ring-place (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		error_usage("unexpected argument \"%s\"", argv[0]);
	if (location == NULL)
		location = "-";   /* a transformer reads the pipeline (topology.h) */

	if (config_load(config_path, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	if ((status = topology_load(location, &topo)) != 0)
		error_finish(status);
	/*
	 * The document's own vnodes wins over the configuration's default; a
	 * document without one records the default it was placed with.
	 */
	if (!topo.vnodes_given) {
		topo.vnodes = cfg.vnodes;
		topo.vnodes_given = 1;
	}
	if (vnodes == 0)
		vnodes = topo.vnodes;

	if (ring_place(&topo, vnodes) > 0)
		topo.version++;
	if (stats) {
		json_t *out = stats_json(&topo);

		status = json_document_print(out, stdout) == 0 ? EXIT_STATUS_OK : EXIT_STATUS_FAILURE;
		json_decref(out);
	} else {
		status = topology_save(&topo, "-", topo.version);
	}
	topology_free(&topo);
	config_free(&cfg);
	error_finish(status);
}
