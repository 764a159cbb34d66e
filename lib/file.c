/* file.c -- crash-safe file writes: temporary name, fsync, rename, fsync dir
 *
 * Programs never leave a half-written file behind: a file on disk is either
 * the previous version or the complete new one.  pg_auto_failover's state.c
 * does the same dance but skips the directory fsync; without it the rename
 * may be lost on power failure while the old name points at nothing.
 */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "file.h"

static int
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_directory_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0)
		rc = -1;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	size_t tmplen = strlen(path) + 32;
	char *tmp = xmalloc(tmplen);
	int fd;

	snprintf(tmp, tmplen, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		error_report("could not create \"%s\": %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		error_report("could not write \"%s\": %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (close(fd) != 0) {
		error_report("could not close \"%s\": %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		error_report("could not rename \"%s\" to \"%s\": %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	if (fsync_directory_of(path) != 0) {
		error_report("could not fsync the directory of \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

char *
file_read_stream(FILE *stream, const char *source, size_t *len_out)
{
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		size_t n;

		if (cap - len < 2) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, stream);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(stream)) {
		error_report("could not read %s: %s", source, strerror(errno));
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	if (len_out != NULL)
		*len_out = len;
	return buf;
}

int
file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
