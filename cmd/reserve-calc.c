/* reserve-calc.c -- how many reserve servers to keep for a failure rate
 *
 * Options in, one JSON document (or a short text report) out; the
 * statistics are lib/reserve.c's.  N comes from --servers or from a
 * topology (reserve_population: the servers in service).
 */

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
#include "reserve.h"
#include "topology.h"

/* Run time grows with sqrt(N p (1 - p)): about half a second at 10^12. */
#define SERVERS_MAX UINT64_C(1000000000000)
/* --table rows: a few past the larger reserve, at most TABLE_ROWS of them. */
#define TABLE_PAST 3
#define TABLE_ROWS 100

struct options {
	uint64_t servers;           /* 0: count the topology's */
	const char *topology;       /* NULL: topology_default_location() */
	double crash_prob, mtbf_days, repair_days, confidence;
	int have_prob, have_mtbf, have_repair, table, text;
};

static void
usage(void)
{
	printf("usage: reserve-calc [--table] [--confidence c] [--format json|text] "
	    "[-n servers | -t file] {--crash-prob p | --mtbf-days d --repair-days r}\n"
	    "\n"
	    "How many reserve servers keep every server that fails on a day replaceable\n"
	    "at once, with the given confidence (binomial model, Poisson beside it).\n"
	    "\n"
	    "Cluster:\n"
	    "  -n, --servers=N         N servers (1 to 10^12)\n"
	    "  -t, --topology=FILE     count the servers in service in a topology\n"
	    "                          (default: $SHARDKIT_TOPOLOGY, else standard input)\n"
	    "\n"
	    "Failure rate (one of):\n"
	    "      --crash-prob=P      probability that a server is down on a day, 0 to 1\n"
	    "      --mtbf-days=D       mean days between failures of one server (> 0)\n"
	    "      --repair-days=R     days to bring a failed server back (>= 0);\n"
	    "                          P = R / (D + R)\n"
	    "\n"
	    "Output:\n"
	    "      --confidence=C      share of days fully covered, 0 < C < 1 (default 0.99)\n"
	    "      --table             add P(X <= k) for both models up to past the reserve\n"
	    "      --format=FORMAT     \"json\" (default) or \"text\"\n"
	    "  -h, --help              show this help, then exit\n"
	    "  -V, --version           output version information, then exit\n");
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "servers", required_argument, NULL, 'n' },
		{ "topology", required_argument, NULL, 't' },
		{ "crash-prob", required_argument, NULL, 'p' },
		{ "mtbf-days", required_argument, NULL, 'm' },
		{ "repair-days", required_argument, NULL, 'r' },
		{ "confidence", required_argument, NULL, 'c' },
		{ "table", no_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "n:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->servers = option_integer("--servers", optarg, 1, SERVERS_MAX);
			break;
		case 't':
			o->topology = optarg;
			break;
		case 'p':
			o->crash_prob = option_number("--crash-prob", optarg, &RANGE_CRASH_PROB);
			o->have_prob = 1;
			break;
		case 'm':
			o->mtbf_days = option_number("--mtbf-days", optarg, &RANGE_MTBF_DAYS);
			o->have_mtbf = 1;
			break;
		case 'r':
			o->repair_days = option_number("--repair-days", optarg, &RANGE_REPAIR_DAYS);
			o->have_repair = 1;
			break;
		case 'c':
			o->confidence = option_number("--confidence", optarg, &RANGE_CONFIDENCE);
			break;
		case 'T':
			o->table = 1;
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				o->text = 1;
			else if (strcmp(optarg, "json") == 0)
				o->text = 0;
			else
				error_usage("invalid --format \"%s\": expected \"json\" or \"text\"", optarg);
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("reserve-calc (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	if (optind < argc)
		error_usage("unexpected argument \"%s\"", argv[optind]);
}

static void
check_combinations(struct options *o)
{
	if (o->servers != 0 && o->topology != NULL)
		error_usage("--servers and --topology are mutually exclusive");
	if (o->have_prob && (o->have_mtbf || o->have_repair))
		error_usage("--crash-prob and --mtbf-days/--repair-days are mutually exclusive");
	if (o->have_repair && !o->have_mtbf)
		error_usage("--repair-days needs --mtbf-days");
	if (o->have_mtbf && !o->have_repair)
		error_usage("--mtbf-days needs --repair-days");
	if (!o->have_prob && !o->have_mtbf)
		error_usage("a failure rate is required: --crash-prob, or --mtbf-days with --repair-days");
	if (o->have_mtbf)
		o->crash_prob = reserve_down_prob(o->mtbf_days, o->repair_days);
}

/* N from the topology, or the exit status after reporting. */
static int
count_servers(struct options *o)
{
	const char *location = o->topology != NULL ? o->topology : topology_default_location();
	struct topology topo;
	int status;

	status = topology_load(location, &topo);
	if (status != 0)
		return status;
	o->servers = reserve_population(&topo);
	topology_free(&topo);
	if (o->servers == 0) {
		error_report("%s: servers: no server is in service (up, joining or draining)",
		    json_document_source(location));
		return EXIT_STATUS_INPUT;
	}
	if (o->servers > SERVERS_MAX) {
		error_report("%s: servers: more than 10^12 servers in service",
		    json_document_source(location));
		return EXIT_STATUS_INPUT;
	}
	return 0;
}

static void
table_range(const struct reserve_result *r, uint64_t *first, uint64_t *last)
{
	uint64_t top = r->reserve > r->poisson_reserve ? r->reserve : r->poisson_reserve;

	*last = top + TABLE_PAST;
	*first = *last >= TABLE_ROWS ? *last - (TABLE_ROWS - 1) : 0;
}

static json_t *
result_json(const struct options *o, const struct reserve_result *r)
{
	json_t *doc = json_object();
	uint64_t k, first, last;
	json_t *rows;

	json_object_set_new(doc, "servers", json_integer((json_int_t)o->servers));
	json_object_set_new(doc, "crash_prob", json_real(o->crash_prob));
	if (o->have_mtbf) {
		json_object_set_new(doc, "mtbf_days", json_real(o->mtbf_days));
		json_object_set_new(doc, "repair_days", json_real(o->repair_days));
	}
	json_object_set_new(doc, "expected_down", json_real(r->expected_down));
	json_object_set_new(doc, "confidence", json_real(o->confidence));
	json_object_set_new(doc, "reserve", json_integer((json_int_t)r->reserve));
	json_object_set_new(doc, "achieved", json_real(r->achieved));
	json_object_set_new(doc, "model", json_string("binomial"));
	json_object_set_new(doc, "poisson", json_pack("{s:I, s:f}",
	    "reserve", (json_int_t)r->poisson_reserve, "achieved", r->poisson_achieved));
	if (!o->table)
		return doc;
	rows = json_array();
	table_range(r, &first, &last);
	for (k = first; k <= last; k++)
		json_array_append_new(rows, json_pack("{s:I, s:f, s:f}", "k", (json_int_t)k,
		    "binomial", binomial_cdf(o->servers, o->crash_prob, k),
		    "poisson", poisson_cdf(r->expected_down, k)));
	json_object_set_new(doc, "table", rows);
	return doc;
}

static void
result_text(FILE *out, const struct options *o, const struct reserve_result *r)
{
	uint64_t k, first, last;

	fprintf(out, "servers          %llu\n", (unsigned long long)o->servers);
	fprintf(out, "crash prob       %.12g\n", o->crash_prob);
	if (o->have_mtbf)
		fprintf(out, "mtbf, repair     %.12g, %.12g days\n", o->mtbf_days, o->repair_days);
	fprintf(out, "expected down    %.12g\n", r->expected_down);
	fprintf(out, "confidence       %.12g\n", o->confidence);
	fprintf(out, "reserve          %llu (binomial: P(X <= %llu) = %.12g)\n",
	    (unsigned long long)r->reserve, (unsigned long long)r->reserve, r->achieved);
	fprintf(out, "poisson reserve  %llu (P(X <= %llu) = %.12g)\n",
	    (unsigned long long)r->poisson_reserve, (unsigned long long)r->poisson_reserve,
	    r->poisson_achieved);
	if (!o->table)
		return;
	table_range(r, &first, &last);
	fprintf(out, "\n%-12s %-20s %s\n", "k", "binomial P(X<=k)", "poisson P(X<=k)");
	for (k = first; k <= last; k++)
		fprintf(out, "%-12llu %-20.12g %.12g\n", (unsigned long long)k,
		    binomial_cdf(o->servers, o->crash_prob, k), poisson_cdf(r->expected_down, k));
}

/* Significant digits that give x back exactly: 15, or up to 17 if needed. */
static int
digits_for(double x)
{
	char buf[32];
	int digits;

	for (digits = 15; digits < 17; digits++) {
		snprintf(buf, sizeof(buf), "%.*g", digits, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	return digits;
}

/*
 * As json_document_print, but with 15 significant digits where they do
 * instead of jansson's fixed 17, so what the user typed comes back as typed
 * (0.005, not 0.0050000000000000001); more only when an input needs them to
 * round-trip.  The computed probabilities are accurate to about 1e-13, so
 * 15 digits lose nothing true.
 */
static int
print_json(const json_t *doc, const struct options *o)
{
	int digits = digits_for(o->crash_prob), d;
	char *text;
	int rc = 0;

	if ((d = digits_for(o->confidence)) > digits)
		digits = d;
	if (o->have_mtbf && (d = digits_for(o->mtbf_days)) > digits)
		digits = d;
	if (o->have_mtbf && (d = digits_for(o->repair_days)) > digits)
		digits = d;
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(digits));
	if (text == NULL)
		error_exit(EXIT_STATUS_FAILURE, "could not serialise a JSON document: out of memory");
	if (fputs(text, stdout) == EOF || putchar('\n') == EOF) {
		error_report("could not write output: %s", strerror(errno));
		rc = -1;
	}
	free(text);
	return rc;
}

/* Render the whole report first, so a failure prints nothing half-way. */
static int
print_text(const struct options *o, const struct reserve_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc = 0;

	if (mem == NULL)
		error_exit(EXIT_STATUS_FAILURE, "could not render the report: %s", strerror(errno));
	result_text(mem, o, r);
	if (fclose(mem) != 0)
		error_exit(EXIT_STATUS_FAILURE, "could not render the report: %s", strerror(errno));
	if (fwrite(text, 1, len, stdout) != len) {
		error_report("could not write output: %s", strerror(errno));
		rc = -1;
	}
	free(text);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = { .confidence = 0.99 };
	struct reserve_request req;
	struct reserve_result res;
	int status = EXIT_STATUS_OK;
	json_t *doc;

	error_set_program(argv[0]);
	parse_options(argc, argv, &o);
	check_combinations(&o);
	if (o.servers == 0 && (status = count_servers(&o)) != 0)
		error_finish(status);

	req.servers = o.servers;
	req.crash_prob = o.crash_prob;
	req.confidence = o.confidence;
	/* Every input was range-checked above, so this cannot refuse. */
	if (reserve_compute(&req, &res) != 0)
		error_exit(EXIT_STATUS_FAILURE, "internal error: request out of range");

	if (o.text) {
		if (print_text(&o, &res) != 0)
			status = EXIT_STATUS_FAILURE;
	} else {
		doc = result_json(&o, &res);
		if (print_json(doc, &o) != 0)
			status = EXIT_STATUS_FAILURE;
		json_decref(doc);
	}
	error_finish(status);
}
