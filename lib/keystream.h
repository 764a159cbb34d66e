/* keystream.h -- keys one per line from a file descriptor, without allocation
 *
 * The reader behind ring-lookup's stream mode.  One buffer is allocated when
 * the stream is opened; every key returned points into it and stays valid
 * until the next call.  Rules, which the man page repeats:
 *   - a key is a line's bytes without its "\n"; a last line without "\n" is
 *     a key too;
 *   - one "\r" before the "\n" is removed, so CRLF files give the same keys
 *     as LF files (a key that must end in "\r" is passed as an argument);
 *   - an empty line is the empty key (a valid text value);
 *   - a key longer than KEYSTREAM_KEY_MAX bytes, or holding a NUL byte (no
 *     PostgreSQL text value can), is an error naming its line number.
 */
#ifndef SHARDKIT_KEYSTREAM_H
#define SHARDKIT_KEYSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define KEYSTREAM_KEY_MAX 65536
#define KEYSTREAM_READ_SIZE (1024 * 1024)

enum keystream_status {
	KEYSTREAM_KEY = 1,      /* *key and *len describe the next key */
	KEYSTREAM_END = 0,      /* no more keys */
	KEYSTREAM_BAD_KEY = -1, /* bad input: message in ks->error, exit status 3 */
	KEYSTREAM_READ_ERROR = -2, /* read(2) failed: message in ks->error, errno kept */
};

struct keystream {
	int fd;                 /* -1 when reading from memory */
	const unsigned char *memory;
	size_t memory_size, memory_pos;
	size_t read_size;       /* bytes asked of one read; may be lowered, never raised */
	char *buf;
	size_t cap, pos, end;
	size_t nul_at;          /* offset of the first NUL byte read, or SIZE_MAX */
	uint64_t line;          /* the last line returned or rejected, from 1 */
	int eof;
	int failed;             /* the error status once one occurred, else 0 */
	char error[128];        /* why, after a bad key (line is its line) or read error */
};

/* Read from fd (not closed by keystream_close). */
void keystream_open_fd(struct keystream *ks, int fd);
/* Read from size bytes at data, which must outlive the stream. */
void keystream_open_memory(struct keystream *ks, const void *data, size_t size);

/*
 * The next key.  Returns KEYSTREAM_KEY with *key (not NUL-terminated) and
 * *len set, KEYSTREAM_END, or an error status with ks->error set; after an
 * error the stream returns the same error again.
 */
int keystream_next(struct keystream *ks, const char **key, size_t *len);

/*
 * Up to max keys at once, all valid until the next call: at least one key
 * unless the stream has ended or failed (then like keystream_next).  An
 * error met after some keys is returned by the next call, so every key
 * before a bad one is delivered.  Returns the number of keys, or
 * KEYSTREAM_END / an error status.
 */
int keystream_next_batch(struct keystream *ks, const char **keys, size_t *lens, int max);

void keystream_close(struct keystream *ks);

#endif
