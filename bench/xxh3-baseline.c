/* xxh3-baseline.c -- the ring-lookup benchmark's baseline: read and hash only
 *
 * Reads lines from standard input exactly as fast as ring-lookup could
 * (large read(2) blocks, memchr for newlines) and hashes each with XXH3-64,
 * printing only the count and a checksum so the work cannot be optimised
 * away.  ring-lookup's keys per second over this program's is the figure
 * the benchmark reports: the cost of routing and writing over the bare
 * minimum of reading and hashing the same keys.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#define BUF_SIZE (1024 * 1024)

int
main(void)
{
	static char buf[BUF_SIZE + 65536];
	size_t have = 0;
	uint64_t count = 0, sum = 0;
	ssize_t got;

	while ((got = read(STDIN_FILENO, buf + have, BUF_SIZE)) > 0) {
		char *p = buf, *end = buf + have + (size_t)got, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			sum ^= XXH3_64bits_withSeed(p, (size_t)(nl - p), 0);
			count++;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		memmove(buf, p, have);
		if (have > 65536) {
			fprintf(stderr, "xxh3-baseline: line too long\n");
			return 1;
		}
	}
	if (have > 0) {
		sum ^= XXH3_64bits_withSeed(buf, have, 0);
		count++;
	}
	printf("%llu %016llx\n", (unsigned long long)count, (unsigned long long)sum);
	return got < 0;
}
