/* ring.h -- the consistent-hash ring: tokens, ownership, lookup, placement
 *
 * A ring is the sorted array of every token with its owner: a shard index
 * (primary-replica and no-replication modes) or a server index (multi-master)
 * of the topology it was built from.  A key belongs to the owner of the first
 * token at or after the key's hash, wrapping past the largest token to the
 * smallest.  So an owner's token t owns the range (previous token, t].
 */
#ifndef SHARDKIT_RING_H
#define SHARDKIT_RING_H

#include <stddef.h>
#include <stdint.h>

#include "topology.h"

/*
 * A range of the ring: (start, end], start exclusive, end inclusive.  When
 * end < start it wraps past 2^64-1 to 0; start == end is the whole ring.
 * This is the one representation of a range, the unit of data movement.
 */
struct token_range {
	uint64_t start;
	uint64_t end;
};

/* 1 when hash lies in range. */
int token_range_contains(const struct token_range *range, uint64_t hash);
/* The range's size in tokens, as a fraction of the ring (whole ring = 1.0). */
double token_range_fraction(const struct token_range *range);

struct ring_point {
	uint64_t token;
	uint32_t owner;     /* shard index, or server index in multi-master */
};

struct ring {
	struct ring_point *points;  /* sorted by token, tokens distinct */
	size_t count;
	size_t owner_count;         /* shard_count, or server_count in multi-master */
};

/* Which owners' tokens ring_build puts on the ring. */
enum ring_filter {
	RING_ALL,        /* every token in the topology */
	RING_ROUTABLE,   /* what clients route by: not SHARD_CREATING shards */
};

/*
 * Build the ring of topo.  Returns 0; the caller frees with ring_free.
 * An empty ring (count 0) is not an error here: ring_lookup callers check.
 */
int ring_build(struct ring *ring, const struct topology *topo, enum ring_filter filter);
void ring_free(struct ring *ring);

/*
 * The index of the point owning hash: the first point whose token is >= hash,
 * or 0 past the last.  ring->count must be > 0.  Binary search, no allocation.
 */
size_t ring_find(const struct ring *ring, uint64_t hash);

/*
 * Fraction of the ring each owner holds; fractions has ring->owner_count
 * entries and is filled (owners without tokens get 0).
 */
void ring_ownership(const struct ring *ring, double *fractions);

/*
 * Give ring tokens to every shard (every server in multi-master mode) that
 * has none, vnodes each; tokens already in the topology never move.  The
 * placement is deterministic and balanced: each newcomer takes close to
 * 1/(n+1) of the ring, carved from the existing owners in proportion to what
 * they hold, as evenly as the vnode count allows.  Returns the number of
 * owners that were given tokens.
 */
size_t ring_place(struct topology *topo, int vnodes);
/* vnodes <= 0 means the topology's vnodes (else 256); more than this is clamped. */
#define RING_VNODES_MAX 65536

/*
 * One range that changes owner between two rings over the same token space.
 * from and to are owner indexes in the before and after rings respectively.
 */
struct range_move {
	struct token_range range;
	uint32_t from;
	uint32_t to;
};

/*
 * The exact ranges whose owner differs between before and after, merged
 * where adjacent with the same (from, to).  Owner identity across the two
 * rings is given by the maps: before_ids[i] and after_ids[j] name owners, and
 * owners with equal names are the same owner.  *moves is allocated (caller
 * frees); returns the count.  Both rings must be non-empty.
 */
size_t ring_diff(const struct ring *before, const char *const *before_ids,
    const struct ring *after, const char *const *after_ids, struct range_move **moves);

#endif
