/* health_read.h -- a health document read back: the orchestrator's view of a sweep
 *
 * health-probe writes shardkit-health/1 documents (man/shardkit-health.5);
 * orchestrate reads them back here.  Only what a decision needs is kept:
 * which servers answered, the role they showed and their WAL positions.
 * The topology stays the authority on state and role, so those members of
 * the document are not read.  Members this reader does not know are
 * ignored, as the format promises readers may.
 */
#ifndef SHARDKIT_HEALTH_READ_H
#define SHARDKIT_HEALTH_READ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "health.h"
#include "topology.h"

/* One server of the document.  LSN 0 means null (InvalidXLogRecPtr). */
struct health_observation {
	char *id;
	int reachable;
	char *error;                /* why not reachable; NULL when reachable or not given */
	enum health_role observed;  /* HEALTH_ROLE_UNKNOWN when null */
	uint64_t current_lsn;
	uint64_t received_lsn;
	uint64_t replayed_lsn;
	int read_only;              /* 1, 0, or -1 unknown (null or absent: older documents) */
};

struct health_doc {
	int64_t topology_version;
	char *probed_at;            /* verbatim RFC 3339 text */
	struct health_observation *servers;
	size_t count;
};

/*
 * Build doc from a parsed shardkit-health/1 document, checking the members
 * it keeps: format, topology_version, probed_at and servers are required;
 * each server needs id (a valid id, not repeated) and reachable (a boolean);
 * error, observed_role, read_only (a boolean) and the LSNs may be null or
 * absent.  Every problem is
 * added to problems with its JSON path.  Returns 0, or -1 with doc freed.
 */
int health_doc_from_json(const json_t *json, struct health_doc *doc, struct problems *problems);

/*
 * Read and check the document at location ("-": standard input).  Reports
 * problems as "SOURCE: PATH: message".  Returns 0, EXIT_STATUS_FAILURE when
 * it cannot be read, or EXIT_STATUS_INPUT when it is malformed or invalid.
 */
int health_doc_load(const char *location, struct health_doc *doc);

/* The observation for server id, or NULL. */
const struct health_observation *health_doc_find(const struct health_doc *doc, const char *id);

void health_doc_free(struct health_doc *doc);

#endif
