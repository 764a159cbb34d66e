/* tokensort.c -- sorting ring tokens with their owners, in linear time
 *
 * A least-significant-digit radix sort, one byte a pass: each pass is
 * stable, so the whole sort is, which is what lets callers keep their tie
 * order (owner order) without comparing owners.  Passes in which every
 * token has the same byte move nothing and are skipped, so tokens that
 * differ only in their high bytes cost fewer passes.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tokensort.h"

#define DIGITS 8

static uint64_t
token_at(const unsigned char *p)
{
	uint64_t t;

	memcpy(&t, p, sizeof(t));
	return t;
}

/*
 * One pass: scatter src into dst by byte digit of the token.  Inlined into
 * scatter_16 with a constant size, the copy is two moves, not a call.
 */
static inline void
scatter(unsigned char *dst, const unsigned char *src, size_t count, size_t size,
    unsigned digit, size_t *offset)
{
	size_t i;

	for (i = 0; i < count; i++) {
		const unsigned char *p = src + i * size;
		unsigned b = (unsigned)(token_at(p) >> (8 * digit)) & 0xff;

		memcpy(dst + offset[b] * size, p, size);
		offset[b]++;
	}
}

/* Token and owner records (ring points, validation's pairs) are 16 bytes. */
static void
scatter_16(unsigned char *dst, const unsigned char *src, size_t count, unsigned digit,
    size_t *offset)
{
	scatter(dst, src, count, 16, digit, offset);
}

void
token_sort(void *items, size_t count, size_t size)
{
	size_t (*hist)[256], i, d;
	unsigned char *a = items, *b, *scratch;

	if (count < 2)
		return;
	hist = xcalloc(DIGITS, sizeof(*hist));
	for (i = 0; i < count; i++) {
		uint64_t t = token_at(a + i * size);

		for (d = 0; d < DIGITS; d++)
			hist[d][(t >> (8 * d)) & 0xff]++;
	}
	scratch = b = xmalloc(count * size);
	for (d = 0; d < DIGITS; d++) {
		size_t sum = 0, k;
		unsigned char *swap;

		if (hist[d][(token_at(a) >> (8 * d)) & 0xff] == count)
			continue;
		for (k = 0; k < 256; k++) {
			size_t n = hist[d][k];

			hist[d][k] = sum;
			sum += n;
		}
		if (size == 16)
			scatter_16(b, a, count, (unsigned)d, hist[d]);
		else
			scatter(b, a, count, size, (unsigned)d, hist[d]);
		swap = a;
		a = b;
		b = swap;
	}
	if (a != items)
		memcpy(items, a, count * size);
	free(scratch);
	free(hist);
}

int
tokens_sorted(const uint64_t *tokens, size_t count)
{
	size_t i;

	for (i = 1; i < count; i++)
		if (tokens[i] < tokens[i - 1])
			return 0;
	return 1;
}
