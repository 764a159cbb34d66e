/* plan_moves.c -- the data movement of a plan: ranges that change owner
 *
 * The moves are computed from two rings, never from the planner's intent:
 * whatever placement did, the plan lists exactly the ranges whose owner
 * differs, grouped by (from, to) and totalled per source and per target.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plan.h"
#include "ring.h"
#include "topology.h"

static int
compare_range_move(const void *a, const void *b)
{
	const struct range_move *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->range.start != y->range.start)
		return x->range.start < y->range.start ? -1 : 1;
	return 0;
}

static void
add_total(struct plan_total **totals, size_t *count, const char *owner, double fraction)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (strcmp((*totals)[i].owner, owner) == 0) {
			(*totals)[i].fraction += fraction;
			return;
		}
	*totals = xreallocarray(*totals, *count + 1, sizeof(**totals));
	(*totals)[*count].owner = xstrdup(owner);
	(*totals)[(*count)++].fraction = fraction;
}

/* Group the ranges by (from, to), each group in ring order, and total them. */
static void
group_moves(struct plan *plan, struct range_move *moves, size_t n,
    const char *const *before_ids, const char *const *after_ids)
{
	size_t i;

	qsort(moves, n, sizeof(*moves), compare_range_move);
	plan->moves = xcalloc(n, sizeof(*plan->moves));
	for (i = 0; i < n; i++) {
		struct plan_move *m = plan->move_count ? &plan->moves[plan->move_count - 1] : NULL;
		double f = token_range_fraction(&moves[i].range);

		if (m == NULL || strcmp(m->from, before_ids[moves[i].from]) != 0 ||
		    strcmp(m->to, after_ids[moves[i].to]) != 0) {
			m = &plan->moves[plan->move_count++];
			m->from = xstrdup(before_ids[moves[i].from]);
			m->to = xstrdup(after_ids[moves[i].to]);
			m->ranges = xcalloc(n, sizeof(*m->ranges));
		}
		m->ranges[m->range_count++] = moves[i].range;
		m->fraction += f;
		plan->moved_fraction += f;
		add_total(&plan->moved_from, &plan->moved_from_count, m->from, f);
		add_total(&plan->moved_to, &plan->moved_to_count, m->to, f);
	}
	for (i = 0; i < plan->move_count; i++)
		plan->moves[i].ranges = xreallocarray(plan->moves[i].ranges,
		    plan->moves[i].range_count, sizeof(struct token_range));
}

void
plan_moves(const struct topology *before, const struct topology *after, struct plan *plan)
{
	struct ring rb, ra;
	struct range_move *moves = NULL;
	const char **before_ids, **after_ids;
	size_t n;

	ring_build(&rb, before, RING_ALL);
	ring_build(&ra, after, RING_ALL);
	before_ids = plan_owner_ids(before);
	after_ids = plan_owner_ids(after);
	if (rb.count > 0 && ra.count > 0) {
		n = ring_diff(&rb, before_ids, &ra, after_ids, &moves);
		group_moves(plan, moves, n, before_ids, after_ids);
		free(moves);
	}
	free(before_ids);
	free(after_ids);
	ring_free(&rb);
	ring_free(&ra);
}
