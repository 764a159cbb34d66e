/* hash.h -- the key hash and the textual form of ring tokens
 *
 * The one definition of how a key becomes a position on the ring, shared by
 * every tool (and later by the server extension): XXH3-64 with the topology's
 * seed over the bytes of the key's PostgreSQL text form (the output of the
 * type's output function: 42 for an integer, the string itself for text).
 */
#ifndef SHARDKIT_HASH_H
#define SHARDKIT_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_ALGORITHM "xxh3-64"

uint64_t hash_key(const void *key, size_t len, uint64_t seed);

/*
 * Tokens are unsigned 64-bit ring positions.  In JSON they are strings of
 * exactly 16 lowercase hexadecimal digits: JSON numbers lose precision past
 * 2^53 in jq and JavaScript, and fixed-width hex sorts as the ring does.
 */
#define TOKEN_TEXT_LEN 16
void token_format(uint64_t token, char out[TOKEN_TEXT_LEN + 1]);
/* Returns 0 and sets *token, or -1 when text is not 16 hex digits. */
int token_parse(const char *text, uint64_t *token);

#endif
