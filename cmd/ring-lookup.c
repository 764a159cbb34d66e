/* ring-lookup.c -- route keys to their shard (or servers) and its servers */

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "keystream.h"
#include "lookup.h"
#include "route.h"
#include "topology.h"

static void
usage(void)
{
	printf("usage: ring-lookup [--field name] [--format json|tsv] [-t file] [key ...]\n"
	    "\n"
	    "Route each key (the arguments, or standard input one key per line) to the\n"
	    "shard that owns it and its servers, or in multi-master mode to its\n"
	    "preference list of servers.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE   read the topology from FILE (default: $SHARDKIT_TOPOLOGY)\n"
	    "      --format=FORMAT   \"json\" lines (default) or \"tsv\"\n"
	    "      --field=NAME      print only this field per key (as text unless --format\n"
	    "                        json): key, hash, shard, state, primary,\n"
	    "                        primary_conninfo, replicas, reserves, servers\n"
	    "  -h, --help            show this help, then exit\n"
	    "  -V, --version         output version information, then exit\n");
}

/* The routing failures that stop before any key: reported, with a hint. */
static void
route_failed(int status, const struct topology *topo)
{
	const char *owners = topo->mode == MODE_MULTI_MASTER ? "server" : "shard";

	if (status == ROUTE_EMPTY) {
		error_report("ring is empty: no routable %s has tokens", owners);
		error_hint("give the %ss tokens with ring-place, e.g. "
		    "\"ring-place -t FILE > placed.json\"", owners);
		error_finish(EXIT_STATUS_INPUT);
	}
	error_report("no %s to route to: every %s on the ring is down", owners, owners);
	error_finish(EXIT_STATUS_DOWN);
}

static void
write_failed(void)
{
	error_report("could not write to standard output: %s", strerror(errno));
	error_finish(EXIT_STATUS_FAILURE);
}

/* A key JSON cannot carry: stop, after writing the records before it. */
static void
not_utf8(struct lookup_writer *w, const char *where)
{
	if (lookup_flush(w) != 0)
		write_failed();
	error_report("%s: key is not valid UTF-8, which JSON cannot hold", where);
	error_hint("--format tsv writes keys byte for byte");
	error_finish(EXIT_STATUS_INPUT);
}

static void
lookup_stream(struct lookup_writer *w)
{
	struct keystream ks;
	const char *keys[LOOKUP_BATCH];
	size_t lens[LOOKUP_BATCH];
	uint64_t before = 0;
	int n, done;
	char where[64];

	keystream_open_fd(&ks, STDIN_FILENO);
	while ((n = keystream_next_batch(&ks, keys, lens, LOOKUP_BATCH)) > 0) {
		int status = lookup_keys(w, keys, lens, n, &done);

		if (status == -2)
			write_failed();
		if (status == -1) {
			/* A batch's keys are consecutive lines. */
			snprintf(where, sizeof(where), "<stdin>:%llu",
			    (unsigned long long)(before + 1 + (uint64_t)done));
			not_utf8(w, where);
		}
		before = ks.line;
	}
	if (lookup_flush(w) != 0)
		write_failed();
	if (n == KEYSTREAM_BAD_KEY) {
		error_report("<stdin>:%llu: %s", (unsigned long long)ks.line, ks.error);
		error_finish(EXIT_STATUS_INPUT);
	}
	if (n == KEYSTREAM_READ_ERROR) {
		error_report("could not read standard input: %s", ks.error);
		error_finish(EXIT_STATUS_FAILURE);
	}
	keystream_close(&ks);
}

static void
lookup_arguments(struct lookup_writer *w, int argc, char **argv)
{
	char where[64];
	int i;

	for (i = 0; i < argc; i++) {
		int status = lookup_key(w, argv[i], strlen(argv[i]));

		if (status == -2)
			write_failed();
		if (status == -1) {
			snprintf(where, sizeof(where), "argument %d", i + 1);
			not_utf8(w, where);
		}
	}
	if (lookup_flush(w) != 0)
		write_failed();
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "field", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *location = NULL, *field_name = NULL;
	enum lookup_format format = LOOKUP_JSON;
	int field = FIELD_ALL, format_given = 0, c, status;
	struct topology topo;
	struct router router;
	struct lookup_writer writer;

	error_set_program(argv[0]);
	while ((c = getopt_long(argc, argv, "t:hV", options, NULL)) != -1) {
		switch (c) {
		case 't':
			location = optarg;
			break;
		case 'f':
			format_given = 1;
			if (strcmp(optarg, "json") == 0)
				format = LOOKUP_JSON;
			else if (strcmp(optarg, "tsv") == 0)
				format = LOOKUP_TSV;
			else
				error_usage("invalid --format \"%s\": expected \"json\" or \"tsv\"", optarg);
			break;
		case 'F':
			field_name = optarg;
			if ((field = lookup_field_parse(optarg)) < 0)
				error_usage("invalid --field \"%s\": expected one of %s", optarg,
				    lookup_field_names());
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("ring-lookup (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	argc -= optind;
	argv += optind;
	/* A single field is for shell substitution: bare text unless asked. */
	if (field != FIELD_ALL && !format_given)
		format = LOOKUP_TSV;
	/* Standard input carries keys here, so the topology must be named. */
	if (location == NULL && getenv("SHARDKIT_TOPOLOGY") != NULL &&
	    *getenv("SHARDKIT_TOPOLOGY") != '\0')
		location = topology_default_location();
	if (location == NULL)
		error_usage("no topology: use -t FILE or set SHARDKIT_TOPOLOGY");
	if (strcmp(location, "-") == 0 && argc == 0)
		error_usage("the topology is read from standard input, so keys must be arguments");

	if ((status = topology_load(location, &topo)) != 0)
		error_finish(status);
	if (!lookup_field_in_mode(field, topo.mode == MODE_MULTI_MASTER))
		error_usage("--field %s is not available in %s mode", field_name,
		    topology_mode_name(topo.mode));
	if ((status = router_build(&router, &topo)) != ROUTE_OK)
		route_failed(status, &topo);
	lookup_writer_init(&writer, &router, format, field, stdout);
	if (argc > 0)
		lookup_arguments(&writer, argc, argv);
	else
		lookup_stream(&writer);
	lookup_writer_free(&writer);
	router_free(&router);
	topology_free(&topo);
	error_finish(EXIT_STATUS_OK);
}
