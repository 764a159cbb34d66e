/* fuzz_topology.c -- libFuzzer target for the topology reader
 *
 * Arbitrary bytes go through the same path as a topology file: jansson's
 * parser with the flags json.c uses, then the model builder and every
 * validation rule, then (for documents that validate) a write and re-read
 * that must give the same document.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct problems problems = { 0 };
	struct topology topo, again;
	json_error_t err;
	json_t *doc, *out, *out2;

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL)
		return 0;
	if (topology_from_json(doc, &topo, &problems) == 0) {
		out = topology_to_json(&topo);
		if (topology_from_json(out, &again, &problems) != 0)
			abort();
		out2 = topology_to_json(&again);
		if (!json_equal(out, out2))
			abort();
		json_decref(out);
		json_decref(out2);
		topology_free(&again);
		topology_free(&topo);
	}
	problems_free(&problems);
	json_decref(doc);
	return 0;
}
