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

struct router {
	const struct topology *topo;    /* borrowed: must outlive the router */
	int multi_master;
	size_t count;                   /* ring points */
	uint64_t *tokens;               /* sorted, distinct */
	uint32_t *target;               /* per point: the shard that serves it */
	uint32_t *servers;              /* multi-master: per point, width servers */
	size_t width;                   /* preference list length */
	unsigned shift;                 /* 64 - prefix bits */
	uint32_t *prefix;               /* first point of each top-bits bucket */
};

/*
 * Build the router for topo (borrowed until router_free).  Returns ROUTE_OK,
 * or ROUTE_EMPTY / ROUTE_ALL_DOWN with nothing to free.
 */
int router_build(struct router *router, const struct topology *topo);
void router_free(struct router *router);

/*
 * The ring point that owns hash: the first token >= hash, wrapping to 0.
 * A prefix table over the top bits of the hash narrows the binary search to
 * the handful of tokens that share them.
 */
static inline size_t
router_point(const struct router *router, uint64_t hash)
{
	size_t bucket = (size_t)(hash >> router->shift);
	size_t lo = router->prefix[bucket], hi = router->prefix[bucket + 1];
	size_t end = hi;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (router->tokens[mid] < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < end)
		return lo;
	return end == router->count ? 0 : end;
}

/* Shard modes: the shard index that serves point. */
static inline uint32_t
router_shard(const struct router *router, size_t point)
{
	return router->target[point];
}

/* Multi-master: the preference list of point (router->width server indexes). */
static inline const uint32_t *
router_servers(const struct router *router, size_t point)
{
	return router->servers + point * router->width;
}

#endif
