/* tokensort.h -- sorting ring tokens with their owners, in linear time
 *
 * Loading a large ring sorts every token twice (validation looks for ties,
 * the router orders the ring): 256,000 tokens for 1000 shards.  A radix
 * sort does that in a few linear passes where qsort's comparisons cost ten
 * times more.
 */
#ifndef SHARDKIT_TOKENSORT_H
#define SHARDKIT_TOKENSORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sort count records of size bytes each (a multiple of 8, at least 8) at
 * items by the uint64_t each record starts with, ascending.  The sort is
 * stable: records with equal tokens keep their order.  Allocates a scratch
 * copy of the records (xmalloc: exits when out of memory).
 */
void token_sort(void *items, size_t count, size_t size);

/* 1 when the count tokens at tokens are in ascending order (ties allowed). */
int tokens_sorted(const uint64_t *tokens, size_t count);

#endif
