/* replica-attach.c -- make a server stream from its shard's primary */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "json.h"
#include "options.h"
#include "replica.h"
#include "runas.h"
#include "topology.h"

static void
usage(void)
{
	printf("usage: replica-attach [options] [-t FILE] SERVER\n"
	    "\n"
	    "Make SERVER (a replica or a reserve provisioned by server-init on this\n"
	    "host) stream from its shard's primary: clone it, or re-point it when it\n"
	    "is a replica of another server; then set the primary's\n"
	    "synchronous_standby_names.  Prints a JSON status.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE       the topology (default: $SHARDKIT_TOPOLOGY, else\n"
	    "                            standard input)\n"
	    "      --primary=ID          stream from ID instead of the shard's primary\n"
	    "                            (re-pointing during a failover)\n"
	    "      --sync-count=K        commits wait for K active replicas (default: 1)\n"
	    "      --timeout=SECONDS     wait this long for streaming, the base backup,\n"
	    "                            a start or a stop (default: 60)\n"
	    "      --config=FILE         read FILE instead of $SHARDKIT_CONF or\n"
	    "                            /etc/shardkit.conf\n"
	    "  -h, --help                show this help, then exit\n"
	    "  -V, --version             output version information, then exit\n");
}

struct options {
	const char *topology, *config;
	struct replica_request req;
};

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "primary", required_argument, NULL, 'p' },
		{ "sync-count", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->req.sync_count = 1;
	o->req.timeout = 60;
	while ((c = getopt_long(argc, argv, "t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o->topology = optarg; break;
		case 'p': o->req.primary = optarg; break;
		case 'k':
			o->req.sync_count = (int)option_integer("--sync-count", optarg, 1, 64);
			break;
		case 'T': o->req.timeout = option_number("--timeout", optarg, &RANGE_SECONDS); break;
		case 'c': o->config = optarg; break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("replica-attach (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		error_usage("a server id is required");
	if (argc > 1)
		error_usage("unexpected argument \"%s\"", argv[1]);
	o->req.server = argv[0];
	if (!topology_id_valid(o->req.server))
		error_usage("invalid server id \"%s\"", o->req.server);
	if (o->req.primary != NULL && !topology_id_valid(o->req.primary))
		error_usage("invalid --primary \"%s\"", o->req.primary);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct topology topo;
	struct config cfg;
	struct replica_result res;
	struct runas ra;
	json_t *out;
	int status;

	error_set_program(argv[0]);
	parse_options(argc, argv, &o);
	if (config_load(o.config, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	status = topology_load(o.topology != NULL ? o.topology : topology_default_location(), &topo);
	if (status != 0) {
		config_free(&cfg);
		error_finish(status);
	}
	if (runas_init(&ra, cfg.run_as) != 0) {
		topology_free(&topo);
		config_free(&cfg);
		error_finish(EXIT_STATUS_CONFIG);
	}
	status = replica_attach(&topo, &o.req, &cfg, &ra, &res);
	if (status == 0) {
		out = replica_result_json(&res);
		if (json_document_print(out, stdout) != 0)
			status = EXIT_STATUS_FAILURE;
		json_decref(out);
		replica_result_free(&res);
	}
	runas_free(&ra);
	topology_free(&topo);
	config_free(&cfg);
	error_finish(status);
}
