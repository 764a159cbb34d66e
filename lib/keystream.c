/* keystream.c -- keys one per line from a file descriptor, without allocation
 *
 * The buffer holds at least one whole maximal line plus one read, so a line
 * is always contiguous in it: when no newline is left in the buffer, the
 * partial line moves to the front and the next read appends behind it.  A
 * line that outgrows KEYSTREAM_KEY_MAX is rejected as soon as that is
 * certain, so no input can make the buffer grow.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error.h"
#include "keystream.h"

static void
keystream_init(struct keystream *ks, size_t read_size)
{
	ks->read_size = read_size;
	/* A maximal key, its "\r" and "\n", then room for one whole read. */
	ks->cap = KEYSTREAM_KEY_MAX + 2 + read_size;
	ks->buf = xmalloc(ks->cap);
	ks->pos = ks->end = 0;
	ks->nul_at = SIZE_MAX;
	ks->line = 0;
	ks->eof = 0;
	ks->failed = 0;
	ks->error[0] = '\0';
}

void
keystream_open_fd(struct keystream *ks, int fd)
{
	memset(ks, 0, sizeof(*ks));
	ks->fd = fd;
	keystream_init(ks, KEYSTREAM_READ_SIZE);
}

void
keystream_open_memory(struct keystream *ks, const void *data, size_t size)
{
	memset(ks, 0, sizeof(*ks));
	ks->fd = -1;
	ks->memory = data;
	ks->memory_size = size;
	/* No read larger than the data: small inputs get small buffers. */
	keystream_init(ks, size == 0 ? 1 : size < KEYSTREAM_READ_SIZE ? size : KEYSTREAM_READ_SIZE);
}

/* Append up to read_size bytes; 0 on success or end of input, -1 on error. */
static int
refill(struct keystream *ks)
{
	size_t want = ks->read_size, room;
	ssize_t got;

	if (ks->pos > 0) {
		memmove(ks->buf, ks->buf + ks->pos, ks->end - ks->pos);
		ks->end -= ks->pos;
		if (ks->nul_at != SIZE_MAX)
			ks->nul_at -= ks->pos;
		ks->pos = 0;
	}
	room = ks->cap - ks->end;
	if (want > room)
		want = room;
	if (ks->fd < 0) {
		size_t left = ks->memory_size - ks->memory_pos;

		got = (ssize_t)(left < want ? left : want);
		memcpy(ks->buf + ks->end, ks->memory + ks->memory_pos, (size_t)got);
		ks->memory_pos += (size_t)got;
	} else {
		do
			got = read(ks->fd, ks->buf + ks->end, want);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			snprintf(ks->error, sizeof(ks->error), "%s", strerror(errno));
			return -1;
		}
	}
	if (got == 0)
		ks->eof = 1;
	/*
	 * One scan per read instead of one per key: reading stops at the
	 * first bad key, so only the first NUL byte can ever matter.
	 */
	if (ks->nul_at == SIZE_MAX && got > 0) {
		char *nul = memchr(ks->buf + ks->end, '\0', (size_t)got);

		if (nul != NULL)
			ks->nul_at = (size_t)(nul - ks->buf);
	}
	ks->end += (size_t)got;
	return 0;
}

static int
bad_key(struct keystream *ks, const char *why)
{
	snprintf(ks->error, sizeof(ks->error), "%s", why);
	return ks->failed = KEYSTREAM_BAD_KEY;
}

/* Check and return the line at [start, stop), stop excluding the "\n". */
static int
take_line(struct keystream *ks, size_t start, size_t stop, const char **key, size_t *len)
{
	size_t n = stop - start;

	ks->line++;
	if (n > 0 && ks->buf[start + n - 1] == '\r')
		n--;
	if (n > KEYSTREAM_KEY_MAX)
		return bad_key(ks, "key longer than 65536 bytes");
	if (ks->nul_at < start + n)
		return bad_key(ks, "key contains a NUL byte");
	*key = ks->buf + start;
	*len = n;
	return KEYSTREAM_KEY;
}

int
keystream_next(struct keystream *ks, const char **key, size_t *len)
{
	if (ks->failed)
		return ks->failed;
	for (;;) {
		char *nl = memchr(ks->buf + ks->pos, '\n', ks->end - ks->pos);
		size_t start = ks->pos;

		if (nl != NULL) {
			ks->pos = (size_t)(nl - ks->buf) + 1;
			return take_line(ks, start, ks->pos - 1, key, len);
		}
		if (ks->eof) {
			if (ks->pos == ks->end)
				return KEYSTREAM_END;
			ks->pos = ks->end;
			return take_line(ks, start, ks->end, key, len);
		}
		/* Past a maximal key and its "\r" with no "\n" yet: too long. */
		if (ks->end - ks->pos > KEYSTREAM_KEY_MAX + 1) {
			ks->line++;
			return bad_key(ks, "key longer than 65536 bytes");
		}
		if (refill(ks) != 0)
			return ks->failed = KEYSTREAM_READ_ERROR;
	}
}

#ifdef __SSE2__
/* Bit i set when p[i] is a newline, for the 64 readable bytes at p. */
static inline uint64_t
newline_mask(const char *p)
{
	const __m128i nl = _mm_set1_epi8('\n');
	uint64_t mask = 0;
	int i;

	for (i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));

		mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)) << (16 * i);
	}
	return mask;
}
#endif

/*
 * The next newline at or after p, before end, or NULL.  Short lines make
 * a memchr call per line the larger cost, so where SSE2 is there, 64 bytes
 * are compared at once and the newlines taken from the mask one by one;
 * *base and *mask carry the block between calls (*mask 0: none pending).
 */
static inline const char *
next_newline(const char *p, const char *end, const char **base, uint64_t *mask)
{
#ifdef __SSE2__
	while (*mask == 0) {
		const char *next = *base == NULL ? p : *base + 64;

		if (end - next < 64) {
			*base = NULL;
			return memchr(p, '\n', (size_t)(end - p));
		}
		*base = next;
		*mask = newline_mask(next);
		/* Bits before p (the first block starts at p): none, by construction. */
	}
	{
		const char *nl = *base + __builtin_ctzll(*mask);

		*mask &= *mask - 1;
		return nl;
	}
#else
	(void)base;
	(void)mask;
	return memchr(p, '\n', (size_t)(end - p));
#endif
}

int
keystream_next_batch(struct keystream *ks, const char **keys, size_t *lens, int max)
{
	const char *buf, *p, *end, *base = NULL;
	uint64_t mask = 0;
	size_t nul_at;
	int n, rc;

	rc = keystream_next(ks, &keys[0], &lens[0]);
	if (rc != KEYSTREAM_KEY)
		return rc;
	/*
	 * Further keys only from what is buffered: a refill would move them.
	 * The state lives in locals here: stores to lens[] could otherwise
	 * alias the stream's fields and force a reload of each per key.  A
	 * line that breaks a rule ends the batch unread; the next call meets
	 * it through keystream_next, which reports it with its line number.
	 */
	buf = ks->buf;
	p = buf + ks->pos;
	end = buf + ks->end;
	nul_at = ks->nul_at;
	for (n = 1; n < max; n++) {
		const char *nl = next_newline(p, end, &base, &mask);
		size_t len;

		if (nl == NULL)
			break;
		len = (size_t)(nl - p);
		if (len > 0 && nl[-1] == '\r')
			len--;
		if (len > KEYSTREAM_KEY_MAX || nul_at < (size_t)(p - buf) + len)
			break;
		keys[n] = p;
		lens[n] = len;
		p = nl + 1;
	}
	ks->pos = (size_t)(p - buf);
	ks->line += (uint64_t)(n - 1);
	return n;
}

void
keystream_close(struct keystream *ks)
{
	free(ks->buf);
	ks->buf = NULL;
}
