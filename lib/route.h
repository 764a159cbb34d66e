/* route.h -- where a key goes: the ring plus each mode's routing rules
 *
 * Built once from a topology, then answers lookups without allocating:
 *   - only routable owners are on the ring (a creating shard's keys go to
 *     the next shard clockwise, where the data still is; in multi-master
 *     mode a joining server's likewise);
 *   - primary-replica: a down shard still owns its keys (callers report its
 *     state: the shard's servers are the only ones holding the data);
 *   - no-replication: a down shard's keys go to the next shard clockwise
 *     that is not down (its data is lost anyway; new writes land there);
 *   - multi-master: the preference list is replication_factor distinct
 *     servers walking clockwise from the key, servers in zones not yet in
 *     the list first, then the skipped same-zone servers in ring order;
 *     servers that are down, wiped or fenced are skipped.
 * Every answer is precomputed per ring point, so a lookup is one search.
 */
#ifndef SHARDKIT_ROUTE_H
#define SHARDKIT_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"
#include "topology.h"

enum route_status {
	ROUTE_OK = 0,
	ROUTE_EMPTY,      /* no routable token: ring-place has not run */
	ROUTE_ALL_DOWN,   /* every owner on the ring is down (or skipped) */
};

/*
 * The bucket table is indexed by the top bits of the hash, with about four
 * buckets per ring point, so most buckets hold no token and their entry is
 * the answer itself: one memory access per key.  A bucket that holds tokens
 * has ROUTE_SEARCH set and the index of its first token; the search gallops
 * from there, so even tokens crowded into one bucket cost O(log n).
 */
#define ROUTE_SEARCH UINT32_C(0x80000000)

struct router {
	const struct topology *topo;    /* borrowed: must outlive the router */
	int multi_master;
	size_t count;                   /* ring points */
	uint64_t *tokens;               /* sorted, distinct */
	uint32_t *answer;               /* per point: shard index, or the point itself */
	uint32_t *servers;              /* multi-master: per point, width servers */
	size_t width;                   /* preference list length */
	unsigned shift;                 /* 64 - bucket bits */
	uint32_t *bucket;               /* answer, or ROUTE_SEARCH | first token */
};

/*
 * Build the router for topo (borrowed until router_free).  Returns ROUTE_OK,
 * or ROUTE_EMPTY / ROUTE_ALL_DOWN with nothing to free.
 */
int router_build(struct router *router, const struct topology *topo);
void router_free(struct router *router);

/* The ring point owning hash: the first token >= hash, wrapping to 0. */
size_t router_point(const struct router *router, uint64_t hash);

/* The bucket entry for hash, for callers that prefetch it before resolving. */
static inline const uint32_t *
router_bucket(const struct router *router, uint64_t hash)
{
	return &router->bucket[hash >> router->shift];
}

/* Search from first, the first token of hash's bucket: gallop, then bisect. */
static inline size_t
router_search(const struct router *router, size_t first, uint64_t hash)
{
	size_t lo = first, step = 1, hi;

	while (lo < router->count && router->tokens[lo] < hash) {
		hi = lo + step;
		if (hi >= router->count || router->tokens[hi] >= hash) {
			size_t top = hi < router->count ? hi : router->count;

			lo++;
			while (lo < top) {
				size_t mid = lo + (top - lo) / 2;

				if (router->tokens[mid] < hash)
					lo = mid + 1;
				else
					top = mid;
			}
			break;
		}
		lo = hi;
		step *= 2;
	}
	return lo == router->count ? 0 : lo;
}

/*
 * What serves hash: the shard index in shard modes (after the mode's rules),
 * the ring point in multi-master mode (see router_servers).
 */
static inline uint32_t
router_find(const struct router *router, uint64_t hash)
{
	uint32_t entry = *router_bucket(router, hash);

	if (!(entry & ROUTE_SEARCH))
		return entry;
	return router->answer[router_search(router, entry & ~ROUTE_SEARCH, hash)];
}

/* Multi-master: the preference list of point (router->width server indexes). */
static inline const uint32_t *
router_servers(const struct router *router, size_t point)
{
	return router->servers + point * router->width;
}

#endif
