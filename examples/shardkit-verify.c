/* shardkit-verify.c -- an example client: are a ledger's keys where the ring says?
 *
 * usage: shardkit-verify [-c file] [-t file] --table name --key-column column
 *            [--retry-for seconds] [ledger]
 *
 * Reads a ledger written by shardkit-writer (one acknowledged write per
 * line, the key before the first tab; from the file named, or standard
 * input) and checks that each key's row exists on its shard's current
 * primary, routed through the topology as the writer routed it (retrying
 * as the writer does, for --retry-for seconds, default 5).  Prints
 *   {"checked":N,"missing":N,"missing_keys":[...]}
 *
 * Exit status: 0 every key found; 7 some are missing; 1 a ledger or query
 * failure; 2 usage; 3 or 1 a bad or unreadable topology; 4 configuration;
 * 6 a shard's primary stayed unreachable.
 *
 * Example:
 *   shardkit-verify -t topology.json --table public.ledger_test --key-column id ledger.txt
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "options.h"
#include "topology.h"

static void
usage(void)
{
	printf("usage: shardkit-verify [-c file] [-t file] --table name --key-column column"
	    " [--retry-for seconds] [ledger]\n"
	    "\n"
	    "Check that every key of a shardkit-writer ledger is on its shard's current\n"
	    "primary; print how many are missing.\n"
	    "\n"
	    "General options:\n"
	    "  -t, --topology=FILE      topology file (default: $SHARDKIT_TOPOLOGY)\n"
	    "  -c, --config=FILE        configuration file (default: $SHARDKIT_CONF,\n"
	    "                           then /etc/shardkit.conf)\n"
	    "      --table=NAME         the table written\n"
	    "      --key-column=COLUMN  its key column\n"
	    "  -h, --help               show this help, then exit\n"
	    "  -V, --version            output version information, then exit\n"
	    "\n"
	    "Connection options:\n"
	    "      --retry-for=SECONDS  keep retrying a query this long (default: 5)\n"
	    "\n"
	    "Exit status: 0 all found, 7 some missing, 6 a primary unreachable.\n");
}

/* SELECT of one key, identifiers quoted over a live connection. */
static char *
select_sql(struct client *client, const char *table, const char *key_column)
{
	char *quoted_table, *column, *sql;
	size_t len;

	if (client_exec_shard(client, 0, "SELECT 1", 0, NULL, NULL) != CLIENT_DONE)
		error_exit(EXIT_STATUS_DOWN, "%s", client->error);
	quoted_table = client_quote_table(client->conns[0], table);
	column = PQescapeIdentifier(client->conns[0], key_column, strlen(key_column));
	if (quoted_table == NULL || column == NULL)
		error_exit(EXIT_STATUS_USAGE, "invalid --table \"%s\" or --key-column", table);
	len = strlen(quoted_table) + 2 * strlen(column) + 64;
	sql = xmalloc(len);
	snprintf(sql, len, "SELECT 1 FROM %s WHERE %s = $1", quoted_table, column);
	free(quoted_table);
	PQfreemem(column);
	return sql;
}

/* Check every key of ledger; returns the exit status. */
static int
verify(struct client *client, const char *sql, FILE *ledger, const char *source, json_t *missing,
    json_int_t *checked)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	PGresult *res;
	enum client_verdict v;

	while ((len = getline(&line, &cap, ledger)) > 0) {
		const char *values[1] = { line };

		line[strcspn(line, "\t\n")] = '\0';
		if (line[0] == '\0')
			continue;
		v = client_exec(client, line, sql, 1, values, &res);
		if (v != CLIENT_DONE) {
			error_report("could not check \"%s\": %s", line, client->error);
			free(line);
			return v == CLIENT_GAVE_UP ? EXIT_STATUS_DOWN : EXIT_STATUS_FAILURE;
		}
		if (PQntuples(res) == 0)
			json_array_append_new(missing, json_string(line));
		PQclear(res);
		(*checked)++;
	}
	free(line);
	if (ferror(ledger)) {
		error_report("%s: %s", source, strerror(errno));
		return EXIT_STATUS_FAILURE;
	}
	return json_array_size(missing) > 0 ? EXIT_STATUS_MISMATCH : 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "topology", required_argument, NULL, 't' },
		{ "table", required_argument, NULL, 'T' },
		{ "key-column", required_argument, NULL, 'K' },
		{ "retry-for", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct client_options copts = { .retry_for = 5, .backoff_initial = 0.02, .backoff_max = 0.5 };
	const char *config_path = NULL, *location = getenv("SHARDKIT_TOPOLOGY");
	const char *table = NULL, *key_column = NULL, *source = "<stdin>";
	struct client client;
	struct config cfg;
	json_t *missing, *doc;
	json_int_t checked = 0;
	FILE *ledger = stdin;
	char *sql;
	int ch, status;

	error_set_program(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:t:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 't': location = optarg; break;
		case 'T': table = optarg; break;
		case 'K': key_column = optarg; break;
		case 'R': copts.retry_for = option_number("--retry-for", optarg, &RANGE_SECONDS); break;
		case 'h': usage(); error_finish(EXIT_STATUS_OK);
		case 'V': printf("shardkit-verify (shardkit) %s\n", SHARDKIT_VERSION); error_finish(0);
		default: error_try_help();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		error_usage("unexpected argument \"%s\"", argv[1]);
	if (table == NULL || key_column == NULL)
		error_usage("--table and --key-column are required");
	if (location == NULL || strcmp(location, "-") == 0)
		error_usage("a topology file is required (-t or $SHARDKIT_TOPOLOGY)");
	if (argc == 1 && strcmp(argv[0], "-") != 0) {
		source = argv[0];
		if ((ledger = fopen(source, "r")) == NULL)
			error_exit(EXIT_STATUS_FAILURE, "%s: %s", source, strerror(errno));
	}
	if (config_load(config_path, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	copts.passfile = cfg.credentials_file;
	copts.connect_timeout = cfg.connect_timeout;
	if ((status = client_open(&client, location, &copts)) != 0)
		error_finish(status);
	sql = select_sql(&client, table, key_column);
	missing = json_array();
	status = verify(&client, sql, ledger, source, missing, &checked);
	if (status == 0 || status == EXIT_STATUS_MISMATCH) {
		doc = json_pack("{s:I, s:I, s:O}", "checked", checked,
		    "missing", (json_int_t)json_array_size(missing), "missing_keys", missing);
		json_document_print(doc, stdout);
		json_decref(doc);
	}
	json_decref(missing);
	free(sql);
	client_close(&client);
	config_free(&cfg);
	if (ledger != stdin)
		fclose(ledger);
	error_finish(status);
}
