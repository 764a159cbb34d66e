/* topology_private.h -- what topology.c, topology_read.c and topology_rules.c share
 *
 * Not part of libshardkit's interface: programs use topology.h.
 */
#ifndef SHARDKIT_TOPOLOGY_PRIVATE_H
#define SHARDKIT_TOPOLOGY_PRIVATE_H

#include <stddef.h>

/* The names of one enum, indexed by its values (topology.c's tables). */
struct name_table {
	const char *const *names;
	size_t count;
};

extern const struct name_table TOPOLOGY_MODES;
extern const struct name_table SERVER_STATES;
extern const struct name_table SERVER_ROLES;
extern const struct name_table SHARD_STATES;

/* The value named name, or -1. */
int name_table_parse(const struct name_table *table, const char *name);
/* '"a", "b" or "c"' in buf, for messages; returns buf. */
const char *name_table_list(const struct name_table *table, char *buf, size_t len);

/* Problems are added through a variable named problems in scope. */
#define ERR(path, ...) problems_add(problems, PROBLEM_ERROR, path, __VA_ARGS__)
#define WARN(path, ...) problems_add(problems, PROBLEM_WARNING, path, __VA_ARGS__)

#endif
