/* hash.c -- the key hash and the textual form of ring tokens */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "hash.h"

uint64_t
hash_key(const void *key, size_t len, uint64_t seed)
{
	return XXH3_64bits_withSeed(key, len, seed);
}

void
token_format(uint64_t token, char out[TOKEN_TEXT_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = TOKEN_TEXT_LEN - 1; i >= 0; i--) {
		out[i] = digits[token & 0xf];
		token >>= 4;
	}
	out[TOKEN_TEXT_LEN] = '\0';
}

int
token_parse(const char *text, uint64_t *token)
{
	uint64_t value = 0;
	int i;

	for (i = 0; i < TOKEN_TEXT_LEN; i++) {
		char c = text[i];
		unsigned digit;

		if (c >= '0' && c <= '9')
			digit = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (unsigned)(c - 'a' + 10);
		else
			return -1;
		value = (value << 4) | digit;
	}
	if (text[TOKEN_TEXT_LEN] != '\0')
		return -1;
	*token = value;
	return 0;
}
