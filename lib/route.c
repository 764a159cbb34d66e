/* route.c -- where a key goes: the ring plus each mode's routing rules
 *
 * All the rules of route.h are applied here once per ring point, so that
 * the per-key path (route.h's inline functions) is a table lookup, a short
 * binary search and an array read.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "ring.h"
#include "route.h"

#define BUCKET_BITS_MAX 22

/* Servers a multi-master preference list may include. */
static int
server_serves(const struct topology *topo, size_t server)
{
	enum server_state s = topo->servers[server].state;

	return s != SERVER_DOWN && s != SERVER_WIPED && s != SERVER_FENCED;
}

/*
 * The bucket table in huge pages where the system offers them: every key
 * reads a random entry, and at 1000 shards the table is 8 MiB, 2048 small
 * pages, more than the TLB holds, so with small pages most lookups would
 * also walk the page tables.  Freed with free().
 */
static void *
table_alloc(size_t size)
{
#ifdef MADV_HUGEPAGE
	size_t huge = (size_t)2 << 20;

	if (size >= huge) {
		void *p = aligned_alloc(huge, (size + huge - 1) / huge * huge);

		if (p == NULL)
			error_exit(EXIT_STATUS_FAILURE, "out of memory");
		/* Only advice: without huge pages the table works the same. */
		(void)madvise(p, (size + huge - 1) / huge * huge, MADV_HUGEPAGE);
		return p;
	}
#endif
	return xmalloc(size);
}

/*
 * About eight buckets per point: a bucket then holds no token with
 * probability e^-1/8, 88%, and its entry is the answer.  The cap bounds
 * the table at 16 MiB (8 MiB for 1000 shards of 256 tokens).
 */
static void
build_buckets(struct router *r)
{
	unsigned bits = 1;
	size_t buckets, b = 0, i;

	while (bits < BUCKET_BITS_MAX && ((size_t)1 << bits) < r->count * 8)
		bits++;
	r->shift = 64 - bits;
	buckets = (size_t)1 << bits;
	r->bucket = table_alloc(buckets * sizeof(*r->bucket));
	/*
	 * Walk the tokens, not the buckets: the empty buckets before token i's
	 * are answered by it, and its bucket (if no earlier token took it)
	 * starts its search there.  Buckets past the last token wrap to 0.
	 */
	for (i = 0; i < r->count; i++) {
		size_t first = (size_t)(r->tokens[i] >> r->shift);

		for (; b < first; b++)
			r->bucket[b] = r->answer[i];
		if (b == first)
			r->bucket[b++] = ROUTE_SEARCH | (uint32_t)i;
	}
	for (; b < buckets; b++)
		r->bucket[b] = r->answer[0];
}

size_t
router_point(const struct router *r, uint64_t hash)
{
	size_t lo = 0, hi = r->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->tokens[mid] < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == r->count ? 0 : lo;
}

/*
 * No-replication: each point is served by the first point at or after it
 * whose shard is not down; one backward pass from a point that is up
 * carries the answer round the ring.
 */
static int
build_answers(struct router *r, const struct ring *ring)
{
	const struct topology *topo = r->topo;
	size_t i, up = SIZE_MAX, steps;
	uint32_t next;

	for (i = 0; i < r->count; i++)
		r->answer[i] = r->multi_master ? (uint32_t)i : ring->points[i].owner;
	if (topo->mode != MODE_NO_REPLICATION)
		return ROUTE_OK;
	for (i = 0; i < r->count && up == SIZE_MAX; i++)
		if (topo->shards[ring->points[i].owner].state != SHARD_DOWN)
			up = i;
	if (up == SIZE_MAX)
		return ROUTE_ALL_DOWN;
	next = ring->points[up].owner;
	for (steps = 0, i = up; steps < r->count; steps++) {
		i = i == 0 ? r->count - 1 : i - 1;
		if (topo->shards[ring->points[i].owner].state != SHARD_DOWN)
			next = ring->points[i].owner;
		r->answer[i] = next;
	}
	return ROUTE_OK;
}

/* Zone numbers: servers with equal zone strings share one. */
static size_t *
zone_numbers(const struct topology *topo, size_t *zone_count)
{
	size_t *zone = xcalloc(topo->server_count ? topo->server_count : 1, sizeof(*zone));
	size_t i, j, n = 0;

	for (i = 0; i < topo->server_count; i++) {
		const char *z = topo->servers[i].zone ? topo->servers[i].zone : "";

		for (j = 0; j < i; j++)
			if (strcmp(z, topo->servers[j].zone ? topo->servers[j].zone : "") == 0)
				break;
		zone[i] = j < i ? zone[j] : n++;
	}
	*zone_count = n;
	return zone;
}

/* Walk state shared by every point's walk; stamps avoid clearing arrays. */
struct walk {
	size_t *zone;
	size_t *server_stamp;
	size_t *zone_stamp;
	uint32_t *pending;
	size_t zones_possible;  /* distinct zones among serving servers on the ring */
};

static void
walk_point(struct router *r, const struct ring *ring, struct walk *w, size_t start)
{
	uint32_t *out = r->servers + start * r->width;
	size_t picked = 0, pending = 0, zone_picks = 0, steps, i = start;
	size_t stamp = start + 1;
	size_t zone_target = w->zones_possible < r->width ? w->zones_possible : r->width;

	for (steps = 0; steps < r->count; steps++, i = i + 1 == r->count ? 0 : i + 1) {
		uint32_t s = ring->points[i].owner;

		if (!server_serves(r->topo, s) || w->server_stamp[s] == stamp)
			continue;
		w->server_stamp[s] = stamp;
		if (w->zone_stamp[w->zone[s]] != stamp && zone_picks < zone_target) {
			w->zone_stamp[w->zone[s]] = stamp;
			out[picked++] = s;
			zone_picks++;
		} else if (pending < r->width) {
			w->pending[pending++] = s;
		}
		if (zone_picks == zone_target && picked + pending >= r->width)
			break;
	}
	for (i = 0; picked < r->width && i < pending; i++)
		out[picked++] = w->pending[i];
}

static int
build_preferences(struct router *r, const struct ring *ring)
{
	const struct topology *topo = r->topo;
	struct walk w;
	size_t zone_count, serving = 0, i;
	int status = ROUTE_OK;

	w.zone = zone_numbers(topo, &zone_count);
	w.server_stamp = xcalloc(topo->server_count, sizeof(size_t));
	w.zone_stamp = xcalloc(zone_count ? zone_count : 1, sizeof(size_t));
	w.zones_possible = 0;
	/* Count serving servers and their zones once, with stamp 1 of the walk. */
	for (i = 0; i < r->count; i++) {
		uint32_t s = ring->points[i].owner;

		if (!server_serves(topo, s) || w.server_stamp[s] == SIZE_MAX)
			continue;
		w.server_stamp[s] = SIZE_MAX;
		serving++;
		if (w.zone_stamp[w.zone[s]] != SIZE_MAX) {
			w.zone_stamp[w.zone[s]] = SIZE_MAX;
			w.zones_possible++;
		}
	}
	r->width = topo->replication_factor > 0 ? (size_t)topo->replication_factor : 1;
	if (r->width > serving)
		r->width = serving;
	if (serving == 0) {
		status = ROUTE_ALL_DOWN;
	} else {
		w.pending = xcalloc(r->width, sizeof(uint32_t));
		r->servers = xcalloc(r->count * r->width, sizeof(uint32_t));
		memset(w.server_stamp, 0, topo->server_count * sizeof(size_t));
		memset(w.zone_stamp, 0, (zone_count ? zone_count : 1) * sizeof(size_t));
		for (i = 0; i < r->count; i++)
			walk_point(r, ring, &w, i);
		free(w.pending);
	}
	free(w.zone);
	free(w.server_stamp);
	free(w.zone_stamp);
	return status;
}

int
router_build(struct router *r, const struct topology *topo)
{
	struct ring ring;
	size_t i;
	int status;

	memset(r, 0, sizeof(*r));
	r->topo = topo;
	r->multi_master = topo->mode == MODE_MULTI_MASTER;
	ring_build(&ring, topo, RING_ROUTABLE);
	if (ring.count == 0) {
		ring_free(&ring);
		return ROUTE_EMPTY;
	}
	r->count = ring.count;
	r->tokens = xcalloc(r->count, sizeof(*r->tokens));
	for (i = 0; i < r->count; i++)
		r->tokens[i] = ring.points[i].token;
	r->answer = xcalloc(r->count, sizeof(*r->answer));
	status = build_answers(r, &ring);
	if (status == ROUTE_OK && r->multi_master)
		status = build_preferences(r, &ring);
	ring_free(&ring);
	if (status != ROUTE_OK) {
		router_free(r);
		return status;
	}
	build_buckets(r);
	return ROUTE_OK;
}

void
router_free(struct router *r)
{
	free(r->tokens);
	free(r->answer);
	free(r->servers);
	free(r->bucket);
	memset(r, 0, sizeof(*r));
}
