/* shardkit-writer.c -- an example client: keyed writes through the ring, across failovers
 *
 * usage: shardkit-writer [-c file] [-t file] --table name --key-column column
 *            [--count n] [--duration seconds] [--ledger file] [--rate writes]
 *            [--retry-for seconds] [--timeout seconds]
 *            [--key-prefix prefix | --random-keys]
 *
 * Creates the table on every shard's primary if missing (key text primary
 * key, payload, written_at), then inserts rows with keys PREFIX1, PREFIX2,
 * ... (default prefix "k"; --random-keys picks a prefix unique to the run),
 * each routed by the topology's ring to its shard's current primary
 * (lib/client.h).  A write whose primary is unreachable, read-only or in
 * recovery is retried, after re-reading the topology when it was replaced,
 * until --retry-for seconds (default 30) pass.  With --timeout, a write
 * left unanswered that long (a stopped or cut-off primary) is abandoned as
 * unknown and its connection dropped.
 *
 * Every acknowledged write (the server answered the autocommit INSERT) is
 * appended to the ledger as "KEY<TAB>UNIX-TIME<TAB>SHARD<TAB>SERVER" (the
 * wall-clock time of the acknowledgement and the primary that gave it, so
 * a benchmark can time a failover from the ledger alone), flushed at once
 * and fsync'ed every second and at the end; a write whose connection died
 * after it was sent is "unknown" (it may have committed) and is never in
 * the ledger.  It stops after --count writes, after --duration seconds, or
 * on SIGINT/SIGTERM, then prints a JSON summary on stdout:
 *   {"acknowledged":N,"unknown":N,"unknown_keys":[...],"retries":N,
 *    "reconnects":N,"topology_reloads":N,"max_ack_gap_seconds":S,
 *    "elapsed_seconds":S,"gave_up":null|{"key":K,"shard":S,"error":E}}
 *
 * Exit status: 0 the run ended as asked (unknown writes are in the summary,
 * not an error); 1 a write was refused for good (an SQL error) or the
 * ledger could not be written; 2 usage; 3 or 1 a bad or unreadable
 * topology; 4 configuration; 6 a write still failed when --retry-for ran
 * out (the summary lists the unknown writes; the last key was not written).
 *
 * Example (tests/integration/client.bats runs it):
 *   shardkit-writer -t topology.json --table public.ledger_test --key-column id \
 *       --count 1000 --ledger ledger.txt
 *   shardkit-verify -t topology.json --table public.ledger_test --key-column id ledger.txt
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "config.h"
#include "error.h"
#include "json.h"
#include "options.h"
#include "topology.h"

struct writer {
	struct client client;
	const char *table, *key_column, *ledger_path, *prefix;
	char prefix_buf[32];
	uint64_t count;             /* 0: no limit */
	double duration, rate;      /* 0: no limit */
	FILE *ledger;
	char *insert_sql;
	uint64_t acknowledged;
	json_t *unknown_keys;
	json_t *gave_up;            /* NULL, or what the last write failed on */
	double started, last_ack, max_gap, last_sync;
};

static volatile sig_atomic_t interrupted;

static void
usage(void)
{
	printf("usage: shardkit-writer [-c file] [-t file] --table name --key-column column"
	    " [--count n] [--duration seconds] [--ledger file] [--rate writes]"
	    " [--retry-for seconds] [--timeout seconds] [--key-prefix prefix | --random-keys]\n"
	    "\n"
	    "Write keyed rows continuously through the topology's routing, retrying\n"
	    "across failovers, and record every acknowledged write in a ledger.\n"
	    "\n"
	    "General options:\n"
	    "  -t, --topology=FILE      topology file, re-read when replaced\n"
	    "                           (default: $SHARDKIT_TOPOLOGY)\n"
	    "  -c, --config=FILE        configuration file (default: $SHARDKIT_CONF,\n"
	    "                           then /etc/shardkit.conf)\n"
	    "      --table=NAME         table to write (created if missing)\n"
	    "      --key-column=COLUMN  its key column\n"
	    "      --count=N            stop after N writes\n"
	    "      --duration=SECONDS   stop after SECONDS\n"
	    "      --ledger=FILE        append each acknowledged key to FILE\n"
	    "      --rate=WRITES        at most WRITES writes per second\n"
	    "      --key-prefix=PREFIX  keys are PREFIX1, PREFIX2, ... (default: k)\n"
	    "      --random-keys        a prefix unique to this run\n"
	    "  -h, --help               show this help, then exit\n"
	    "  -V, --version            output version information, then exit\n"
	    "\n"
	    "Connection options:\n"
	    "      --retry-for=SECONDS  keep retrying a write this long (default: 30)\n"
	    "      --timeout=SECONDS    a write unanswered this long is unknown\n"
	    "                           (default: wait for the answer)\n"
	    "\n"
	    "Exit status: 0 done, 1 a write or the ledger failed, 6 retries ran out.\n");
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_signal(int signo)
{
	(void)signo;
	interrupted = 1;
}

static int
ledger_append(struct writer *w, const char *key)
{
	const struct topology *topo = &w->client.topo;
	struct timespec ts;

	if (w->ledger == NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (fprintf(w->ledger, "%s\t%lld.%06ld\t%s\t%s\n", key, (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, topo->shards[w->client.last_shard].id,
	    topo->servers[w->client.last_server].id) < 0 || fflush(w->ledger) != 0)
		return -1;
	if (now_seconds() - w->last_sync >= 1.0) {
		w->last_sync = now_seconds();
		if (fsync(fileno(w->ledger)) != 0)
			return -1;
	}
	return 0;
}

/* CREATE TABLE IF NOT EXISTS on every shard's primary; builds the INSERT. */
static int
prepare(struct writer *w)
{
	enum client_verdict v = client_exec_shard(&w->client, 0, "SELECT 1", 0, NULL, NULL);
	char *table, *column, *sql;
	size_t i, len;

	if (v != CLIENT_DONE)
		goto failed;
	table = client_quote_table(w->client.conns[0], w->table);
	column = PQescapeIdentifier(w->client.conns[0], w->key_column, strlen(w->key_column));
	if (table == NULL || column == NULL)
		error_exit(EXIT_STATUS_USAGE, "invalid --table \"%s\" or --key-column", w->table);
	len = strlen(table) + strlen(column) + 200;
	sql = xmalloc(len);
	snprintf(sql, len, "CREATE TABLE IF NOT EXISTS %s (%s text PRIMARY KEY, payload text NOT NULL,"
	    " written_at timestamptz NOT NULL DEFAULT now())", table, column);
	w->insert_sql = xmalloc(len);
	snprintf(w->insert_sql, len, "INSERT INTO %s (%s, payload, written_at) VALUES ($1, $2, now())",
	    table, column);
	free(table);
	PQfreemem(column);
	for (i = 0; i < w->client.topo.shard_count && v == CLIENT_DONE; i++)
		v = client_exec_shard(&w->client, (int)i, sql, 0, NULL, NULL);
	free(sql);
	if (v == CLIENT_DONE)
		return 0;
failed:
	error_report("could not prepare table \"%s\": %s", w->table, w->client.error);
	return v == CLIENT_GAVE_UP ? EXIT_STATUS_DOWN : EXIT_STATUS_FAILURE;
}

/* One write; returns 0 to go on, or the exit status that ends the run. */
static int
write_one(struct writer *w, uint64_t n)
{
	char key[64], payload[64];
	const char *values[2] = { key, payload };
	enum client_verdict v;
	double now;

	snprintf(key, sizeof(key), "%s%llu", w->prefix, (unsigned long long)n);
	snprintf(payload, sizeof(payload), "payload-%llu", (unsigned long long)n);
	v = client_exec(&w->client, key, w->insert_sql, 2, values, NULL);
	if (v == CLIENT_DONE) {
		now = now_seconds();
		if (now - w->last_ack > w->max_gap)
			w->max_gap = now - w->last_ack;
		w->last_ack = now;
		w->acknowledged++;
		if (ledger_append(w, key) != 0)
			error_exit(EXIT_STATUS_FAILURE, "%s: %s", w->ledger_path, strerror(errno));
		return 0;
	}
	if (v == CLIENT_UNKNOWN) {
		error_warning("write of \"%s\" unknown: %s", key, w->client.error);
		json_array_append_new(w->unknown_keys, json_string(key));
		return 0;
	}
	if (v == CLIENT_GAVE_UP && interrupted)
		return -1;
	error_report("write of \"%s\" failed: %s", key, w->client.error);
	w->gave_up = json_pack("{s:s, s:s?, s:s}", "key", key, "shard", w->client.last_shard >= 0 ?
	    w->client.topo.shards[w->client.last_shard].id : NULL, "error", w->client.error);
	return v == CLIENT_GAVE_UP ? EXIT_STATUS_DOWN : EXIT_STATUS_FAILURE;
}

static int
run(struct writer *w)
{
	uint64_t n;
	double wait;
	int status = 0;

	w->last_ack = w->last_sync = now_seconds();
	for (n = 1; !interrupted && (w->count == 0 || n <= w->count); n++) {
		if (w->duration > 0 && now_seconds() - w->started >= w->duration)
			break;
		if ((status = write_one(w, n)) != 0)
			break;
		if (w->rate > 0 && (wait = w->started + n / w->rate - now_seconds()) > 0)
			usleep((useconds_t)(wait * 1e6));
	}
	if (w->ledger != NULL && (fsync(fileno(w->ledger)) != 0 || fclose(w->ledger) != 0))
		error_exit(EXIT_STATUS_FAILURE, "%s: %s", w->ledger_path, strerror(errno));
	return status < 0 ? 0 : status;
}

static void
print_summary(struct writer *w)
{
	const struct client_stats *s = &w->client.stats;
	json_t *doc = json_pack("{s:I, s:I, s:O, s:I, s:I, s:I, s:f, s:f, s:O?}",
	    "acknowledged", (json_int_t)w->acknowledged,
	    "unknown", (json_int_t)json_array_size(w->unknown_keys),
	    "unknown_keys", w->unknown_keys,
	    "retries", (json_int_t)s->retries,
	    "reconnects", (json_int_t)s->reconnects,
	    "topology_reloads", (json_int_t)s->topology_reloads,
	    "max_ack_gap_seconds", w->max_gap,
	    "elapsed_seconds", now_seconds() - w->started,
	    "gave_up", w->gave_up);

	json_document_print(doc, stdout);
	json_decref(doc);
}

static void
parse_options(struct writer *w, struct client_options *copts, const char **config_path,
    const char **location, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "topology", required_argument, NULL, 't' },
		{ "table", required_argument, NULL, 'T' },
		{ "key-column", required_argument, NULL, 'K' },
		{ "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ledger", required_argument, NULL, 'l' },
		{ "rate", required_argument, NULL, 'r' },
		{ "retry-for", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "key-prefix", required_argument, NULL, 'p' },
		{ "random-keys", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct number_range rate_range = { 0, 1e9, 1, 0, "a number above 0" };
	int ch;

	while ((ch = getopt_long(argc, argv, "c:t:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': *config_path = optarg; break;
		case 't': *location = optarg; break;
		case 'T': w->table = optarg; break;
		case 'K': w->key_column = optarg; break;
		case 'n': w->count = option_integer("--count", optarg, 1, UINT64_MAX); break;
		case 'd': w->duration = option_number("--duration", optarg, &RANGE_SECONDS); break;
		case 'l': w->ledger_path = optarg; break;
		case 'r': w->rate = option_number("--rate", optarg, &rate_range); break;
		case 'R': copts->retry_for = option_number("--retry-for", optarg, &RANGE_SECONDS); break;
		case 'o': copts->answer_timeout = option_number("--timeout", optarg, &RANGE_SECONDS); break;
		case 'p': w->prefix = optarg; break;
		case 'x':
			snprintf(w->prefix_buf, sizeof(w->prefix_buf), "r%lx%x-",
			    (unsigned long)time(NULL), (unsigned)getpid());
			w->prefix = w->prefix_buf;
			break;
		case 'h': usage(); error_finish(EXIT_STATUS_OK);
		case 'V': printf("shardkit-writer (shardkit) %s\n", SHARDKIT_VERSION); error_finish(0);
		default: error_try_help();
		}
	}
}

int
main(int argc, char **argv)
{
	struct writer w = { .prefix = "k" };
	struct client_options copts = { .retry_for = 30, .backoff_initial = 0.02,
	    .backoff_max = 0.5, .interrupted = &interrupted };
	struct config cfg;
	struct sigaction sa;
	const char *config_path = NULL, *location = getenv("SHARDKIT_TOPOLOGY");
	int status;

	error_set_program(argv[0]);
	parse_options(&w, &copts, &config_path, &location, argc, argv);
	if (optind != argc)
		error_usage("unexpected argument \"%s\"", argv[optind]);
	if (w.table == NULL || w.key_column == NULL)
		error_usage("--table and --key-column are required");
	if (location == NULL || strcmp(location, "-") == 0)
		error_usage("a topology file is required (-t or $SHARDKIT_TOPOLOGY): it is re-read on failover");
	if (config_load(config_path, &cfg) != 0)
		error_finish(EXIT_STATUS_CONFIG);
	copts.passfile = cfg.credentials_file;
	copts.connect_timeout = cfg.connect_timeout;
	if ((status = client_open(&w.client, location, &copts)) != 0)
		error_finish(status);
	if (w.ledger_path != NULL && (w.ledger = fopen(w.ledger_path, "a")) == NULL)
		error_exit(EXIT_STATUS_FAILURE, "%s: %s", w.ledger_path, strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	w.unknown_keys = json_array();
	w.started = now_seconds();
	if ((status = prepare(&w)) == 0)
		status = run(&w);
	print_summary(&w);
	json_decref(w.unknown_keys);
	json_decref(w.gave_up);
	free(w.insert_sql);
	client_close(&w.client);
	config_free(&cfg);
	error_finish(status);
}
