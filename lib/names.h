/* names.h -- equal strings among many: duplicate checks and look-ups by name
 *
 * Validating a topology compares every id with every other id, and every
 * server's host and port with every other's; at thousands of servers the
 * pairwise loops dominated loading.  A name index sorts the names once
 * (n log n) so that the entries sharing a name are neighbours.
 */
#ifndef SHARDKIT_NAMES_H
#define SHARDKIT_NAMES_H

#include <stddef.h>

struct name_entry {
	const char *name;       /* borrowed from the caller's array */
	size_t index;
};

struct name_index {
	size_t count;
	struct name_entry *sorted;      /* by name (strcmp), then by index */
	size_t *rank;                   /* rank[i]: position of entry i in sorted */
	size_t *group;                  /* group[p]: first position sharing sorted[p]'s name */
};

/*
 * Index count names (none NULL; borrowed: they must outlive the index).
 * Allocates with xmalloc (exits when out of memory); free with
 * name_index_free.
 */
void name_index_build(struct name_index *x, const char *const *names, size_t count);

/*
 * The entries before entry i with the same name, ascending: returns their
 * number n; they are x->sorted[first].index ... x->sorted[first + n - 1].index
 * with first set in *first.
 */
size_t name_index_earlier(const struct name_index *x, size_t i, size_t *first);

/* The lowest index of an entry named name, or -1 when there is none. */
long name_index_find(const struct name_index *x, const char *name);

void name_index_free(struct name_index *x);

#endif
