/* names.c -- equal strings among many: duplicate checks and look-ups by name
 *
 * Sorting by (name, index) gives both answers the pairwise loops gave, in
 * the same order: the entries sharing entry i's name and coming before it
 * are exactly the positions between its group's start and its own, already
 * in ascending index order.
 */

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "names.h"

static int
entry_compare(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

void
name_index_build(struct name_index *x, const char *const *names, size_t count)
{
	size_t i, n = count ? count : 1;

	x->count = count;
	x->sorted = xmalloc(n * sizeof(*x->sorted));
	x->rank = xmalloc(n * sizeof(*x->rank));
	x->group = xmalloc(n * sizeof(*x->group));
	for (i = 0; i < count; i++) {
		x->sorted[i].name = names[i];
		x->sorted[i].index = i;
	}
	qsort(x->sorted, count, sizeof(*x->sorted), entry_compare);
	for (i = 0; i < count; i++) {
		x->rank[x->sorted[i].index] = i;
		x->group[i] = i > 0 && strcmp(x->sorted[i].name, x->sorted[i - 1].name) == 0 ?
		    x->group[i - 1] : i;
	}
}

size_t
name_index_earlier(const struct name_index *x, size_t i, size_t *first)
{
	size_t p = x->rank[i];

	*first = x->group[p];
	return p - x->group[p];
}

long
name_index_find(const struct name_index *x, const char *name)
{
	size_t lo = 0, hi = x->count;

	/* The first position whose name is not below name: its group's start. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(x->sorted[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->count && strcmp(x->sorted[lo].name, name) == 0)
		return (long)x->sorted[lo].index;
	return -1;
}

void
name_index_free(struct name_index *x)
{
	free(x->sorted);
	free(x->rank);
	free(x->group);
	memset(x, 0, sizeof(*x));
}
