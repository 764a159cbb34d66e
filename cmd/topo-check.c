/* topo-check.c -- validate a topology document and list every problem */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "json.h"
#include "topology.h"

static void
usage(void)
{
	printf("usage: topo-check [-qs] [--format text|json] [--print] [-t file]\n"
	    "\n"
	    "Validate a shardkit topology (from -t or standard input) and list every\n"
	    "problem with its JSON path.\n"
	    "\n"
	    "Options:\n"
	    "  -t, --topology=FILE   read the topology from FILE (\"-\": standard input)\n"
	    "      --format=FORMAT   problems as \"text\" lines on stderr (default) or as a\n"
	    "                        \"json\" array on standard output\n"
	    "      --print           write the validated document, normalised, to stdout\n"
	    "  -q, --quiet           do not list warnings\n"
	    "  -s, --strict          treat warnings as errors\n"
	    "  -h, --help            show this help, then exit\n"
	    "  -V, --version         output version information, then exit\n");
}

static json_t *
problems_json(const struct problems *problems, int with_warnings)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < problems->count; i++) {
		const struct problem *p = &problems->items[i];

		if (p->severity == PROBLEM_WARNING && !with_warnings)
			continue;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
		    "severity", p->severity == PROBLEM_ERROR ? "error" : "warning",
		    "path", p->path, "message", p->message));
	}
	return arr;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "print", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *location = NULL;
	int json_format = 0, print = 0, quiet = 0, strict = 0, c, status;
	struct problems problems = { 0 };
	struct topology topo;
	json_t *doc;

	error_set_program(argv[0]);
	while ((c = getopt_long(argc, argv, "t:qshV", options, NULL)) != -1) {
		switch (c) {
		case 't':
			location = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				json_format = 1;
			else if (strcmp(optarg, "text") != 0)
				error_usage("invalid --format \"%s\": expected \"text\" or \"json\"", optarg);
			break;
		case 'p':
			print = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 's':
			strict = 1;
			break;
		case 'h':
			usage();
			error_finish(EXIT_STATUS_OK);
		case 'V':
			printf("topo-check (shardkit) %s\n", SHARDKIT_VERSION);
			error_finish(EXIT_STATUS_OK);
		default:
			error_try_help();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		error_usage("unexpected argument \"%s\"", argv[0]);
	if (print && json_format)
		error_usage("--print and --format=json both write to standard output");
	/* A transformer reads the pipeline, never $SHARDKIT_TOPOLOGY (topology.h). */
	if (location == NULL)
		location = "-";

	status = json_document_load(location, &doc);
	if (status != 0)
		error_finish(status);
	status = topology_from_json(doc, &topo, &problems) == 0 ? EXIT_STATUS_OK : EXIT_STATUS_INPUT;
	if (strict && problems_count(&problems, PROBLEM_WARNING) > 0)
		status = EXIT_STATUS_INPUT;
	if (json_format) {
		json_t *arr = problems_json(&problems, !quiet);

		if (json_document_print(arr, stdout) != 0)
			status = EXIT_STATUS_FAILURE;
		json_decref(arr);
	} else {
		problems_report(&problems, json_document_source(location), !quiet);
	}
	if (status == EXIT_STATUS_OK) {
		if (print && topology_save(&topo, "-", topo.version) != 0)
			status = EXIT_STATUS_FAILURE;
		topology_free(&topo);
	}
	problems_free(&problems);
	json_decref(doc);
	error_finish(status);
}
