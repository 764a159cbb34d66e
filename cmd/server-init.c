/* server-init.c -- provision a PostgreSQL 15 server and print its topology entry */

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "error.h"
#include "json.h"
#include "options.h"
#include "runas.h"
#include "server.h"
#include "topology.h"

/* PostgreSQL's NAMEDATALEN - 1: the longest role name it keeps whole. */
#define ROLE_NAME_MAX 63

static void
usage(void)
{
	printf("usage: server-init [options] -D DATADIR -p PORT\n"
	    "       server-init --wipe [options] -D DATADIR\n"
	    "\n"
	    "Create (or check) a PostgreSQL 15 data directory for shardkit, start the\n"
	    "server, set its passwords from shardkit.conf, and print its topology entry.\n"
	    "\n"
	    "Options:\n"
	    "  -D, --pgdata=DATADIR      the server's data directory\n"
	    "  -p, --port=PORT           TCP port the server listens on\n"
	    "      --id=ID               server id (default: DATADIR's last component)\n"
	    "      --zone=ZONE           failure domain of the server (default: none)\n"
	    "      --listen=ADDRESS      listen_addresses (default: listen_address of\n"
	    "                            shardkit.conf, else 127.0.0.1)\n"
	    "      --host=HOST           host in the conninfo (default: the listen address)\n"
	    "  -U, --user=NAME           superuser named in the conninfo (default: postgres)\n"
	    "      --wipe                stop the server and remove DATADIR\n"
	    "  -t, --timeout=SECONDS     wait this long for a start or a stop (default: 60)\n"
	    "      --config=FILE         read FILE instead of $SHARDKIT_CONF or\n"
	    "                            /etc/shardkit.conf\n"
	    "  -h, --help                show this help, then exit\n"
	    "  -V, --version             output version information, then exit\n");
}

struct options {
	const char *pgdata, *port, *id, *zone, *listen, *host, *user, *config;
	double timeout;
	int wipe;
};

/* No control characters: the value ends up in files and messages. */
static void
check_printable(const char *what, const char *value, size_t max)
{
	const unsigned char *p;

	if (value[0] == '\0')
		error_usage("%s must not be empty", what);
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			error_usage("%s must not contain control characters", what);
	if (max > 0 && strlen(value) > max)
		error_usage("%s \"%s\" is longer than %zu bytes", what, value, max);
}

/* listen_addresses: host names and addresses, "*", commas; nothing to quote. */
static void
check_listen(const char *value)
{
	if (value[0] == '\0' || strspn(value,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-_%,*") != strlen(value))
		error_usage("invalid listen address \"%s\": expected host names or addresses separated by commas, or \"*\"",
		    value);
}

/* A single address clients can use: not a wildcard, not a list. */
static int
is_single_address(const char *listen)
{
	return strpbrk(listen, ",*") == NULL && strcmp(listen, "0.0.0.0") != 0 &&
	    strcmp(listen, "::") != 0;
}

/* The last component of a path as typed, for the default id. */
static char *
last_component(const char *path)
{
	char *copy = xstrdup(path), *slash;
	size_t n = strlen(copy);

	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	if (slash != NULL)
		memmove(copy, slash + 1, strlen(slash + 1) + 1);
	return copy;
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "pgdata", required_argument, NULL, 'D' },
		{ "port", required_argument, NULL, 'p' },
		{ "id", required_argument, NULL, 'i' },
		{ "zone", required_argument, NULL, 'z' },
		{ "listen", required_argument, NULL, 'l' },
		{ "host", required_argument, NULL, 'H' },
		{ "user", required_argument, NULL, 'U' },
		{ "wipe", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->timeout = 60;
	while ((c = getopt_long(argc, argv, "D:p:U:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'D': o->pgdata = optarg; break;
		case 'p': o->port = optarg; break;
		case 'i': o->id = optarg; break;
		case 'z': o->zone = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'H': o->host = optarg; break;
		case 'U': o->user = optarg; break;
		case 'w': o->wipe = 1; break;
		case 't': o->timeout = option_number("--timeout", optarg, &RANGE_SECONDS); break;
		case 'c': o->config = optarg; break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("server-init (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	if (optind < argc)
		error_usage("unexpected argument \"%s\"", argv[optind]);
	if (o->pgdata == NULL || o->pgdata[0] == '\0')
		error_usage("a data directory is required (-D)");
	if (o->wipe && (o->port || o->id || o->zone || o->listen || o->host || o->user))
		error_usage("--wipe takes only -D, --timeout and --config");
	if (!o->wipe && o->port == NULL)
		error_usage("a port is required (-p)");
}

/* Fill spec from the options and the configuration; usage errors exit. */
static char *
build_spec(const struct options *o, const struct config *cfg, struct server_spec *spec)
{
	char *default_id = NULL;

	memset(spec, 0, sizeof(*spec));
	spec->port = (int)option_integer("--port", o->port, 1, 65535);
	spec->timeout = o->timeout;
	spec->id = o->id;
	if (spec->id == NULL)
		spec->id = default_id = last_component(o->pgdata);
	if (!topology_id_valid(spec->id))
		error_usage("invalid server id \"%s\"%s: expected 1 to %d letters, digits, '_', '.' or '-'",
		    spec->id, o->id == NULL ? " (DATADIR's name; give one with --id)" : "",
		    TOPOLOGY_ID_MAX);
	spec->zone = o->zone != NULL ? o->zone : "";
	if (o->zone != NULL)
		check_printable("zone", o->zone, 0);
	spec->listen_address = o->listen != NULL ? o->listen : cfg->listen_address;
	check_listen(spec->listen_address);
	spec->host = o->host;
	if (spec->host == NULL) {
		if (!is_single_address(spec->listen_address))
			error_usage("--host is required when listening on \"%s\"", spec->listen_address);
		spec->host = spec->listen_address;
	}
	check_printable("host", spec->host, 0);
	spec->user = o->user != NULL ? o->user : "postgres";
	check_printable("user name", spec->user, ROLE_NAME_MAX);
	spec->replication_user = cfg->replication_user;
	check_printable("replication_user", spec->replication_user, ROLE_NAME_MAX);
	if (strcmp(spec->user, spec->replication_user) == 0)
		error_usage("user \"%s\" is also replication_user: they must differ", spec->user);
	return default_id;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct config cfg;
	struct server_spec spec;
	struct runas ra;
	char *default_id = NULL, *datadir;
	json_t *entry;
	int status;

	error_set_program(argv[0]);
	parse_options(argc, argv, &o);
	if (config_load(o.config, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	if (!o.wipe)
		default_id = build_spec(&o, &cfg, &spec);
	if (runas_init(&ra, cfg.run_as) != 0) {
		config_free(&cfg);
		error_finish(EXIT_STATUS_CONFIG);
	}
	datadir = server_data_directory(o.pgdata);
	if (datadir == NULL)
		status = EXIT_STATUS_FAILURE;
	else if (o.wipe)
		status = server_wipe(datadir, &cfg, &ra, o.timeout);
	else {
		spec.data_directory = datadir;
		status = server_provision(&spec, &cfg, &ra);
		if (status == 0) {
			entry = server_entry(&spec);
			if (json_document_print(entry, stdout) != 0)
				status = EXIT_STATUS_FAILURE;
			json_decref(entry);
		}
	}
	free(datadir);
	free(default_id);
	runas_free(&ra);
	config_free(&cfg);
	error_finish(status);
}
