/* ring.c -- the consistent-hash ring: tokens, ownership, lookup, placement
 *
 * The whole ring is the 2^64 positions of a 64-bit hash, so lengths of
 * ranges need 65 bits (a single token owns all 2^64 positions): lengths are
 * kept in unsigned __int128 and positions in uint64_t, whose wrap-around is
 * exactly the ring's.
 *
 * Placement is deterministic (no randomness, no dependency on anything but
 * the topology and the vnode count) and never moves an existing token: a
 * newcomer only ever inserts tokens into ranges others hold, so every key
 * that moves, moves to the newcomer.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "ring.h"
#include "tokensort.h"

typedef unsigned __int128 span_t;

#define RING_SPAN ((span_t)1 << 64)

int
token_range_contains(const struct token_range *range, uint64_t hash)
{
	if (range->start == range->end)
		return 1;
	if (range->start < range->end)
		return hash > range->start && hash <= range->end;
	return hash > range->start || hash <= range->end;
}

double
token_range_fraction(const struct token_range *range)
{
	if (range->start == range->end)
		return 1.0;
	return (double)(uint64_t)(range->end - range->start) / 0x1p64;
}

/* The tokens of owner i: a shard's, or a server's in multi-master mode. */
static const uint64_t *
owner_tokens(const struct topology *topo, size_t i, size_t *count)
{
	if (topo->mode == MODE_MULTI_MASTER) {
		*count = topo->servers[i].token_count;
		return topo->servers[i].tokens;
	}
	*count = topo->shards[i].token_count;
	return topo->shards[i].tokens;
}

/*
 * Routable means data is there: a creating shard (or, in multi-master mode,
 * a joining server, its analogue) has tokens but not yet the rows they own.
 */
static int
owner_routable(const struct topology *topo, size_t i)
{
	if (topo->mode == MODE_MULTI_MASTER)
		return topo->servers[i].state != SERVER_JOINING;
	return topo->shards[i].state != SHARD_CREATING;
}

int
ring_build(struct ring *ring, const struct topology *topo, enum ring_filter filter)
{
	size_t owners, total = 0, i, j, n = 0;

	owners = topo->mode == MODE_MULTI_MASTER ? topo->server_count : topo->shard_count;
	for (i = 0; i < owners; i++) {
		size_t count;

		owner_tokens(topo, i, &count);
		if (filter == RING_ALL || owner_routable(topo, i))
			total += count;
	}
	ring->points = xcalloc(total ? total : 1, sizeof(*ring->points));
	for (i = 0; i < owners; i++) {
		size_t count;
		const uint64_t *tokens = owner_tokens(topo, i, &count);

		if (filter != RING_ALL && !owner_routable(topo, i))
			continue;
		for (j = 0; j < count; j++) {
			ring->points[n].token = tokens[j];
			ring->points[n].owner = (uint32_t)i;
			n++;
		}
	}
	/* Stable, filled in owner order: ties stay in owner order. */
	token_sort(ring->points, n, sizeof(*ring->points));
	/*
	 * Validation rejects duplicate tokens; should one slip through anyway,
	 * the second copy would own the empty range (t, t], which this file's
	 * range representation reads as the whole ring.  Keep the first.
	 */
	for (i = 0, j = 0; i < n; i++)
		if (j == 0 || ring->points[j - 1].token != ring->points[i].token)
			ring->points[j++] = ring->points[i];
	ring->count = j;
	ring->owner_count = owners;
	return 0;
}

void
ring_free(struct ring *ring)
{
	free(ring->points);
	ring->points = NULL;
	ring->count = 0;
	ring->owner_count = 0;
}

size_t
ring_find(const struct ring *ring, uint64_t hash)
{
	size_t lo = 0, hi = ring->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ring->points[mid].token < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == ring->count ? 0 : lo;
}

/* Length of the range ending at point i: (previous token, token i]. */
static span_t
point_span(const struct ring *ring, size_t i)
{
	uint64_t prev;

	if (ring->count == 1)
		return RING_SPAN;
	prev = ring->points[i ? i - 1 : ring->count - 1].token;
	return (uint64_t)(ring->points[i].token - prev);
}

void
ring_ownership(const struct ring *ring, double *fractions)
{
	size_t i;

	for (i = 0; i < ring->owner_count; i++)
		fractions[i] = 0.0;
	for (i = 0; i < ring->count; i++)
		fractions[ring->points[i].owner] += (double)point_span(ring, i) / 0x1p64;
}

/*
 * Placement state: for each owner, its tokens and the length of the range
 * each one ends.  Inserting a token t into (s, e] only shortens that one
 * range to (t, e], so the lengths stay exact without re-sorting the ring.
 */
struct placed_owner {
	uint64_t *tokens;
	span_t *spans;
	size_t count;
	span_t held;
};

struct placer {
	struct placed_owner *owners;
	size_t owner_count;
	size_t *heap;           /* owners holding tokens, largest holding first */
	size_t heap_count;
};

/* Heap order: larger holding first; the lower index breaks ties. */
static int
heap_before(const struct placer *p, size_t a, size_t b)
{
	if (p->owners[a].held != p->owners[b].held)
		return p->owners[a].held > p->owners[b].held;
	return a < b;
}

static void
heap_sift_down(struct placer *p, size_t i)
{
	for (;;) {
		size_t best = i, l = 2 * i + 1, r = 2 * i + 2, tmp;

		if (l < p->heap_count && heap_before(p, p->heap[l], p->heap[best]))
			best = l;
		if (r < p->heap_count && heap_before(p, p->heap[r], p->heap[best]))
			best = r;
		if (best == i)
			return;
		tmp = p->heap[i];
		p->heap[i] = p->heap[best];
		p->heap[best] = tmp;
		i = best;
	}
}

static void
heap_push(struct placer *p, size_t owner)
{
	size_t i = p->heap_count++;

	p->heap[i] = owner;
	while (i > 0 && heap_before(p, p->heap[i], p->heap[(i - 1) / 2])) {
		size_t parent = (i - 1) / 2, tmp = p->heap[i];

		p->heap[i] = p->heap[parent];
		p->heap[parent] = tmp;
		i = parent;
	}
}

static void
owner_add(struct placed_owner *o, uint64_t token, span_t span)
{
	o->tokens[o->count] = token;
	o->spans[o->count] = span;
	o->count++;
	o->held += span;
}

static void
placer_init(struct placer *p, const struct topology *topo, const int *newcomer, int vnodes)
{
	struct ring ring;
	size_t i;

	ring_build(&ring, topo, RING_ALL);
	p->owner_count = ring.owner_count;
	p->owners = xcalloc(p->owner_count ? p->owner_count : 1, sizeof(*p->owners));
	p->heap = xcalloc(p->owner_count ? p->owner_count : 1, sizeof(*p->heap));
	p->heap_count = 0;
	for (i = 0; i < p->owner_count; i++) {
		size_t count, room;

		owner_tokens(topo, i, &count);
		room = newcomer[i] ? (size_t)vnodes : count;
		p->owners[i].tokens = xcalloc(room ? room : 1, sizeof(uint64_t));
		p->owners[i].spans = xcalloc(room ? room : 1, sizeof(span_t));
	}
	for (i = 0; i < ring.count; i++)
		owner_add(&p->owners[ring.points[i].owner], ring.points[i].token,
		    point_span(&ring, i));
	for (i = 0; i < p->owner_count; i++)
		if (p->owners[i].count > 0)
			heap_push(p, i);
	ring_free(&ring);
}

static void
placer_free(struct placer *p)
{
	size_t i;

	for (i = 0; i < p->owner_count; i++) {
		free(p->owners[i].tokens);
		free(p->owners[i].spans);
	}
	free(p->owners);
	free(p->heap);
}

/* The first owner on an empty ring: vnodes equally spaced tokens. */
static void
place_first(struct placer *p, size_t owner, int vnodes)
{
	uint64_t prev = UINT64_MAX;
	int i;

	for (i = 0; i < vnodes; i++) {
		uint64_t token = (uint64_t)(((span_t)(i + 1) * RING_SPAN) / (unsigned)vnodes - 1);

		owner_add(&p->owners[owner], token,
		    vnodes == 1 ? RING_SPAN : (span_t)(uint64_t)(token - prev));
		prev = token;
	}
}

/* The index of owner o's longest range (the lowest index among equals). */
static size_t
longest_range(const struct placed_owner *o)
{
	size_t i, best = 0;

	for (i = 1; i < o->count; i++)
		if (o->spans[i] > o->spans[best])
			best = i;
	return best;
}

/* The length of o's second-longest range (0 when it has one range). */
static span_t
second_longest(const struct placed_owner *o)
{
	span_t first = 0, second = 0;
	size_t i;

	for (i = 0; i < o->count; i++) {
		if (o->spans[i] > first) {
			second = first;
			first = o->spans[i];
		} else if (o->spans[i] > second) {
			second = o->spans[i];
		}
	}
	return second;
}

static size_t
heap_pop(struct placer *p)
{
	size_t top = p->heap[0];

	p->heap[0] = p->heap[--p->heap_count];
	heap_sift_down(p, 0);
	return top;
}

/*
 * Cut amount from the front of giver's longest range and give it to the
 * newcomer as one token.  Returns what could not be taken: the giver keeps
 * at least one position of the range, so the new token never equals its
 * end.  (With vnodes bounded by RING_VNODES_MAX the longest range of a
 * giver always exceeds a piece on a ring placed here; the clamp matters
 * only on rings with very uneven ranges.)
 */
static span_t
cut_piece(struct placed_owner *giver, struct placed_owner *newcomer, span_t amount)
{
	size_t r = longest_range(giver);
	span_t left = 0;
	uint64_t start;

	if (amount >= giver->spans[r]) {
		left = amount - (giver->spans[r] - 1);
		amount = giver->spans[r] - 1;
	}
	if (amount == 0)
		amount = 1;     /* a token must still be distinct: take one position */
	start = (uint64_t)(giver->tokens[r] - (uint64_t)giver->spans[r]);
	giver->spans[r] -= amount;
	giver->held -= amount;
	owner_add(newcomer, (uint64_t)(start + (uint64_t)amount), amount);
	return left;
}

static int
span_descending(const void *a, const void *b)
{
	span_t x = *(const span_t *)a, y = *(const span_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * The fewest tokens that can take amount from o: a token takes a prefix of
 * one range, less one position, so amount must fit in that many of its
 * longest ranges.  SIZE_MAX when all of them together cannot hold it.
 */
static size_t
pieces_needed(const struct placed_owner *o, span_t amount, span_t *scratch)
{
	span_t sum = 0;
	size_t i;

	if (o->spans[longest_range(o)] > amount)
		return 1;
	memcpy(scratch, o->spans, o->count * sizeof(*scratch));
	qsort(scratch, o->count, sizeof(*scratch), span_descending);
	for (i = 0; i < o->count; i++) {
		sum += scratch[i] - 1;
		if (sum >= amount)
			return i + 1;
	}
	return SIZE_MAX;
}

/*
 * Water-filling: the m largest holders (top[], largest first) give down to
 * one level so that together they give target.  Without other limits m is
 * the count of holders above that level; this returns it.
 */
static size_t
water_givers(const struct placer *p, const size_t *top, size_t max_givers, span_t target)
{
	span_t sum = 0;
	size_t m;

	for (m = 1; m < max_givers; m++) {
		sum += p->owners[top[m - 1]].held;
		if (sum > target && (sum - target) / m >= p->owners[top[m]].held)
			return m;
	}
	return max_givers;
}

/*
 * The plan: m givers, give[i] from each and pieces[i] tokens for it, within
 * vnodes tokens.  Fewer givers each give more in fewer, larger pieces, so
 * when the level's givers need more tokens than there are, m shrinks until
 * they fit: the newcomer's share comes first, evenness second.  Returns m,
 * or 0 when no plan fits.
 */
static size_t
plan_givers(const struct placer *p, const size_t *top, size_t max_givers, span_t target,
    size_t vnodes, span_t *give, size_t *pieces, span_t *scratch)
{
	size_t m, i, used;

	for (m = water_givers(p, top, max_givers, target); m >= 1; m--) {
		span_t sum = 0, level;

		for (i = 0; i < m; i++)
			sum += p->owners[top[i]].held;
		level = sum > target ? (sum - target) / m : 0;
		for (i = 0, used = 0; i < m && used <= vnodes; i++) {
			const struct placed_owner *o = &p->owners[top[i]];

			give[i] = o->held > level ? o->held - level : 0;
			pieces[i] = pieces_needed(o, give[i], scratch);
			used = pieces[i] > vnodes ? vnodes + 1 : used + pieces[i];
		}
		if (used <= vnodes)
			return m;
	}
	return 0;
}

/* The fallback: equal pieces, each from whoever holds most at the time. */
static void
place_equal_pieces(struct placer *p, size_t owner, size_t vnodes, span_t target)
{
	size_t i;

	for (i = 0; i < vnodes; i++) {
		span_t amount = target / vnodes + ((span_t)i < target % vnodes ? 1 : 0);

		cut_piece(&p->owners[p->heap[0]], &p->owners[owner], amount);
		heap_sift_down(p, 0);
	}
}

/* Share spare tokens among the givers in proportion to what they give. */
static void
spread_spare(size_t m, const span_t *give, size_t *pieces, size_t spare)
{
	span_t total = 0;
	size_t i, assigned = 0;

	for (i = 0; i < m; i++)
		total += give[i];
	for (i = 0; i < m && total > 0; i++) {
		size_t extra = (size_t)((span_t)spare * give[i] / total);

		pieces[i] += extra;
		assigned += extra;
	}
	/* What rounding down left goes to the largest givers. */
	for (i = 0; assigned < spare; i = (i + 1) % m, assigned++)
		pieces[i]++;
}

/*
 * A newcomer takes 1/(holders+1) of the ring by water-filling: the largest
 * holders give down to one common level, so afterwards they hold the same
 * and each has given in proportion to how far above the level it was.  The
 * newcomer's vnodes tokens are shared among the givers, each giver's part
 * cut in near-equal pieces from its longest ranges.
 */
static void
place_newcomer(struct placer *p, size_t owner, int vnodes)
{
	size_t holders = p->heap_count, max_givers, m, i, used = 0;
	span_t target = RING_SPAN / (holders + 1);
	size_t *top, *pieces;
	span_t *give, *scratch;

	max_givers = holders < (size_t)vnodes ? holders : (size_t)vnodes;
	top = xcalloc(max_givers, sizeof(*top));
	pieces = xcalloc(max_givers, sizeof(*pieces));
	give = xcalloc(max_givers, sizeof(*give));
	scratch = xcalloc((size_t)vnodes > p->owners[p->heap[0]].count ? (size_t)vnodes :
	    p->owners[p->heap[0]].count, sizeof(*scratch));
	for (i = 0; i < max_givers; i++)
		top[i] = heap_pop(p);
	m = plan_givers(p, top, max_givers, target, (size_t)vnodes, give, pieces, scratch);
	for (i = 0; i < m; i++)
		used += pieces[i];
	if (m > 0)
		spread_spare(m, give, pieces, (size_t)vnodes - used);
	for (i = 0; i < m; i++) {
		struct placed_owner *giver = &p->owners[top[i]];
		span_t rem = give[i];
		size_t j;

		for (j = pieces[i]; j > 0; j--) {
			span_t amount = (rem + j - 1) / j, second = second_longest(giver);

			/*
			 * Equal pieces, unless the later ones could not hold their
			 * share: then this one, from the longest range, takes more.
			 */
			if (second > 0 && rem > (span_t)(j - 1) * (second - 1) &&
			    rem - (span_t)(j - 1) * (second - 1) > amount)
				amount = rem - (span_t)(j - 1) * (second - 1);
			rem = rem - amount + cut_piece(giver, &p->owners[owner], amount);
		}
	}
	for (i = 0; i < max_givers; i++)
		heap_push(p, top[i]);
	if (m == 0)
		place_equal_pieces(p, owner, (size_t)vnodes, target);
	free(top);
	free(pieces);
	free(give);
	free(scratch);
}

static int
token_compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t
ring_place(struct topology *topo, int vnodes)
{
	struct placer p;
	size_t owners, i, placed = 0;
	int *newcomer;

	if (vnodes <= 0)
		vnodes = topo->vnodes > 0 ? topo->vnodes : CONFIG_DEFAULT_VNODES;
	if (vnodes > RING_VNODES_MAX)
		vnodes = RING_VNODES_MAX;
	owners = topo->mode == MODE_MULTI_MASTER ? topo->server_count : topo->shard_count;
	newcomer = xcalloc(owners ? owners : 1, sizeof(*newcomer));
	for (i = 0; i < owners; i++) {
		size_t count;

		owner_tokens(topo, i, &count);
		newcomer[i] = count == 0;
	}
	placer_init(&p, topo, newcomer, vnodes);
	for (i = 0; i < owners; i++) {
		struct placed_owner *o = &p.owners[i];
		uint64_t *tokens;

		if (!newcomer[i])
			continue;
		if (p.heap_count == 0)
			place_first(&p, i, vnodes);
		else
			place_newcomer(&p, i, vnodes);
		heap_push(&p, i);
		tokens = xcalloc((size_t)vnodes, sizeof(*tokens));
		memcpy(tokens, o->tokens, (size_t)vnodes * sizeof(*tokens));
		qsort(tokens, (size_t)vnodes, sizeof(*tokens), token_compare);
		if (topo->mode == MODE_MULTI_MASTER) {
			free(topo->servers[i].tokens);
			topo->servers[i].tokens = tokens;
			topo->servers[i].token_count = (size_t)vnodes;
		} else {
			free(topo->shards[i].tokens);
			topo->shards[i].tokens = tokens;
			topo->shards[i].token_count = (size_t)vnodes;
		}
		placed++;
	}
	placer_free(&p);
	free(newcomer);
	return placed;
}

static int
same_owner(const char *const *before_ids, uint32_t from, const char *const *after_ids,
    uint32_t to)
{
	if (before_ids == NULL || after_ids == NULL)
		return from == to;
	return strcmp(before_ids[from], after_ids[to]) == 0;
}

/* Append (start, end] from -> to, extending the last move when adjacent. */
static void
moves_add(struct range_move *moves, size_t *count, uint64_t start, uint64_t end,
    uint32_t from, uint32_t to)
{
	struct range_move *last = *count ? &moves[*count - 1] : NULL;

	if (last != NULL && last->range.end == start && last->from == from && last->to == to) {
		last->range.end = end;
		return;
	}
	moves[*count].range.start = start;
	moves[*count].range.end = end;
	moves[*count].from = from;
	moves[*count].to = to;
	(*count)++;
}

/* The sorted union of both rings' tokens; returns its length. */
static size_t
token_union(const struct ring *a, const struct ring *b, uint64_t *out)
{
	size_t i = 0, j = 0, n = 0;

	while (i < a->count || j < b->count) {
		uint64_t t;

		if (j == b->count || (i < a->count && a->points[i].token <= b->points[j].token))
			t = a->points[i].token;
		else
			t = b->points[j].token;
		while (i < a->count && a->points[i].token == t)
			i++;
		while (j < b->count && b->points[j].token == t)
			j++;
		out[n++] = t;
	}
	return n;
}

/*
 * The union of both rings' tokens cuts the ring into elementary ranges that
 * hold no token of either ring inside: each has one owner before and one
 * after, the owners of the first token at or past its end.
 */
size_t
ring_diff(const struct ring *before, const char *const *before_ids,
    const struct ring *after, const char *const *after_ids, struct range_move **moves)
{
	uint64_t *cuts;
	size_t n, i, ib = 0, ia = 0, count = 0;
	struct range_move *out;

	/* Outside the contract, but an empty ring must not be read past its end. */
	if (before->count == 0 || after->count == 0) {
		*moves = xcalloc(1, sizeof(**moves));
		return 0;
	}
	cuts = xcalloc(before->count + after->count, sizeof(*cuts));
	n = token_union(before, after, cuts);
	out = xcalloc(n, sizeof(*out));

	for (i = 0; i < n; i++) {
		uint32_t from, to;

		while (ib < before->count && before->points[ib].token < cuts[i])
			ib++;
		while (ia < after->count && after->points[ia].token < cuts[i])
			ia++;
		from = before->points[ib < before->count ? ib : 0].owner;
		to = after->points[ia < after->count ? ia : 0].owner;
		if (!same_owner(before_ids, from, after_ids, to))
			moves_add(out, &count, cuts[i ? i - 1 : n - 1], cuts[i], from, to);
	}
	/* The range that crosses zero was cut in two: join it. */
	if (count >= 2 && out[count - 1].range.end == out[0].range.start &&
	    out[count - 1].from == out[0].from && out[count - 1].to == out[0].to) {
		out[0].range.start = out[count - 1].range.start;
		count--;
	}
	free(cuts);
	*moves = out;
	return count;
}
