/* topology.h -- the cluster's shared configuration: model, load, validate, save
 *
 * One JSON document (man/shardkit-topology.5) describes the whole cluster:
 * mode, replication factor, hash settings, sharded tables, servers and
 * shards with their ring tokens.  Every program reads and writes it through
 * topology_load() and topology_save() so that, later, a store URL (etcd) can
 * stand where a file name stands today without touching the programs.
 */
#ifndef SHARDKIT_TOPOLOGY_H
#define SHARDKIT_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define TOPOLOGY_FORMAT "shardkit-topology/1"
#define TOPOLOGY_ID_MAX 63

enum topology_mode {
	MODE_PRIMARY_REPLICA,
	MODE_NO_REPLICATION,
	MODE_MULTI_MASTER,
};

/*
 * States and roles are closed sets validated from one table each in
 * topology.c (topology_*_name / topology_*_parse); states that later issues
 * need (joining, draining, wiped, fenced) are already in the tables.
 */
enum server_state {
	SERVER_UP,
	SERVER_DOWN,
	SERVER_JOINING,
	SERVER_DRAINING,
	SERVER_WIPED,
	SERVER_FENCED,
};

enum server_role {
	ROLE_NONE,      /* not in a shard yet (a new server), or a multi-master member */
	ROLE_PRIMARY,
	ROLE_REPLICA,   /* an active replica: counts toward the replication factor */
	ROLE_RESERVE,   /* a read replica kept for failures: never primary, never counted */
};

enum shard_state {
	SHARD_ACTIVE,
	SHARD_DOWN,      /* no-replication: its keys route to the next shard clockwise */
	SHARD_CREATING,  /* tokens placed, data not yet there: not routed to */
	SHARD_DRAINING,  /* being removed: still routed to until cutover */
};

struct topology_table {
	char *name;     /* table name, possibly schema-qualified */
	char *key;      /* the sharding key column */
};

struct topology_server {
	char *id;
	char *conninfo;         /* libpq conninfo or URI, never with a password */
	char *zone;             /* failure domain; "" when not set */
	char *data_directory;   /* set by server-init; NULL when unknown */
	enum server_state state;
	enum server_role role;
	int shard;              /* index into topology.shards, -1 when none */
	uint64_t *tokens;       /* multi-master only: this server's ring tokens */
	size_t token_count;
};

struct topology_shard {
	char *id;
	enum shard_state state;
	uint64_t *tokens;       /* sorted ascending once loaded */
	size_t token_count;
};

struct topology {
	int64_t version;        /* incremented by every change; compare-and-swap key */
	enum topology_mode mode;
	int replication_factor;
	int vnodes;             /* default tokens per shard (per server in multi-master) */
	int vnodes_given;       /* the document set vnodes (else the default above) */
	uint64_t hash_seed;
	struct topology_table *tables;
	size_t table_count;
	struct topology_server *servers;
	size_t server_count;
	struct topology_shard *shards;
	size_t shard_count;
	json_t *migrations;     /* an array kept verbatim until migrations are defined */
};

/* Validation problems, each with the JSON path it concerns. */
enum problem_severity { PROBLEM_ERROR, PROBLEM_WARNING };

struct problem {
	enum problem_severity severity;
	char path[128];
	char message[256];
};

struct problems {
	struct problem *items;
	size_t count;
	size_t capacity;
};

void problems_add(struct problems *list, enum problem_severity severity,
    const char *path, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
size_t problems_count(const struct problems *list, enum problem_severity severity);
/* "prog: SOURCE: PATH: message" per problem ("warning: " before warnings). */
void problems_report(const struct problems *list, const char *source, int with_warnings);
void problems_free(struct problems *list);

/*
 * Build a topology from a parsed document: every type, unknown field and
 * rule of topology_validate() is checked and every problem is added to
 * problems (none is fatal early, so topo-check can list them all).
 * Returns 0 when there is no error (warnings allowed); -1 otherwise, in which
 * case topo is freed.  The document is not retained.
 */
int topology_from_json(const json_t *doc, struct topology *topo, struct problems *problems);

/* The semantic rules alone, over an already built model. */
void topology_validate(const struct topology *topo, struct problems *problems);

/*
 * Load and validate the topology at location: a file name, or "-" for
 * standard input.  Errors are reported (syntax as SOURCE:LINE:COLUMN,
 * validation as SOURCE: PATH: message); warnings are not printed.
 * Returns 0, or the exit status to use: EXIT_STATUS_INPUT for a bad
 * document, EXIT_STATUS_FAILURE when it cannot be read.
 */
int topology_load(const char *location, struct topology *topo);

/* Same, from an already parsed document; source names it in messages. */
int topology_load_json(const json_t *doc, const char *source, struct topology *topo);

/*
 * The location read by programs that consume a topology (ring-lookup,
 * health-probe, reserve-calc) when given no -t: $SHARDKIT_TOPOLOGY if set,
 * else "-" (standard input).  Programs that transform a topology (topo-check,
 * ring-place, shard-plan) do not call this: they read standard input unless
 * given -t, so a pipeline feeding them can never be silently ignored because
 * the variable happens to be set in the operator's shell.
 */
const char *topology_default_location(void);

/* The document for topo (new reference; keys in a stable order). */
json_t *topology_to_json(const struct topology *topo);
/* One servers[] entry, as topology_to_json writes it (new reference). */
json_t *topology_server_json(const struct topology *topo, size_t index);

/*
 * Write topo to location.  "-" prints it to standard output.  For a file,
 * under an exclusive lock on "location.lock", the stored document's version
 * must equal expected_version (or the file must not exist when
 * expected_version is -1): otherwise nothing is written and
 * EXIT_STATUS_CONFLICT is returned.  The write is atomic (file.h).
 * Returns 0 or an exit status, after reporting.
 */
int topology_save(const struct topology *topo, const char *location, int64_t expected_version);

void topology_free(struct topology *topo);

/* Deep copy (never fails: allocation failure exits). */
void topology_copy(struct topology *dst, const struct topology *src);

/* Lookups: an index, or -1. */
int topology_find_server(const struct topology *topo, const char *id);
int topology_find_shard(const struct topology *topo, const char *id);
/* The shard's server with role primary, or -1. */
int topology_shard_primary(const struct topology *topo, int shard);

/* Append a shard or a server (strings copied); returns the new index. */
int topology_add_shard(struct topology *topo, const char *id, enum shard_state state);
int topology_add_server(struct topology *topo, const char *id, const char *conninfo,
    const char *zone);
/* Remove a shard; servers that referenced it get shard -1. */
void topology_remove_shard(struct topology *topo, int shard);

/* Names <-> values, from one table per enum.  parse returns -1 when unknown. */
const char *topology_mode_name(enum topology_mode mode);
int topology_mode_parse(const char *name);
const char *server_state_name(enum server_state state);
int server_state_parse(const char *name);
const char *server_role_name(enum server_role role);
int server_role_parse(const char *name);
const char *shard_state_name(enum shard_state state);
int shard_state_parse(const char *name);
/* "a", "b" or "c" list of a table's names, for error messages. */
const char *topology_mode_names(void);

/* An identifier: 1 to 63 of [A-Za-z0-9_.-], starting with a letter or digit. */
int topology_id_valid(const char *id);

#endif
