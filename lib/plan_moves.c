/* plan_moves.c -- the data movement of a plan: ranges that change owner
 *
 * The moves are computed from two rings, never from the planner's intent:
 * whatever placement did, the plan lists exactly the ranges whose owner
 * differs, grouped by (from, to) and totalled per source and per target.
 */

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plan.h"
#include "ring.h"
#include "topology.h"

/*
 * Range sizes are summed exactly, as integers: the whole ring is 2^64
 * positions, so a sum needs more than 64 bits.  Only the final fraction is
 * rounded, so the same ranges always give the same figures.
 */
typedef unsigned __int128 span_t;

static span_t
range_span(const struct token_range *range)
{
	return range->start == range->end ? (span_t)1 << 64 : (span_t)(uint64_t)(range->end - range->start);
}

static double
span_fraction(span_t span)
{
	return ldexp((double)span, -64);
}

struct owner_names {
	const char *const *before;
	const char *const *after;
};

/* By source then target, ids in natural order as the planner names them, then ring order. */
static int
compare_range_move(const void *a, const void *b, void *names)
{
	const struct range_move *x = a, *y = b;
	const struct owner_names *n = names;
	int c;

	if (x->from != y->from && (c = strverscmp(n->before[x->from], n->before[y->from])) != 0)
		return c;
	if (x->to != y->to && (c = strverscmp(n->after[x->to], n->after[y->to])) != 0)
		return c;
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
	struct owner_names names = { before_ids, after_ids };
	span_t total = 0;
	size_t i, j;

	qsort_r(moves, n, sizeof(*moves), compare_range_move, &names);
	plan->moves = xcalloc(n, sizeof(*plan->moves));
	for (i = 0; i < n; i = j) {
		struct plan_move *m = &plan->moves[plan->move_count++];
		span_t sum = 0;

		/* Owner indexes are unique per id on each ring: equal indexes, one group. */
		for (j = i; j < n && moves[j].from == moves[i].from && moves[j].to == moves[i].to; j++)
			;
		m->from = xstrdup(before_ids[moves[i].from]);
		m->to = xstrdup(after_ids[moves[i].to]);
		m->ranges = xcalloc(j - i, sizeof(*m->ranges));
		for (; m->range_count < j - i; m->range_count++) {
			m->ranges[m->range_count] = moves[i + m->range_count].range;
			sum += range_span(&m->ranges[m->range_count]);
		}
		m->fraction = span_fraction(sum);
		total += sum;
		add_total(&plan->moved_from, &plan->moved_from_count, m->from, m->fraction);
		add_total(&plan->moved_to, &plan->moved_to_count, m->to, m->fraction);
	}
	plan->moved_fraction = span_fraction(total);
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
