/* passfile.c -- reading a libpq password file with libpq's own rules
 *
 * server-init sets the passwords clients will later find in the same file
 * through libpq, so it must pick exactly the line libpq would pick: the
 * matching below follows passwordFromFile() and pwdfMatchesString() in
 * libpq's fe-connect.c, line for line where it matters (wildcards only as a
 * whole field, backslash escapes, first match wins).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "passfile.h"

/*
 * If the field at buf matches token, the position after the field's ':';
 * else NULL.  A field of exactly "*" matches any token.
 */
static const char *
field_matches(const char *buf, const char *token)
{
	if (buf[0] == '*' && buf[1] == ':')
		return buf + 2;
	while (*buf != '\0') {
		int escaped = 0;

		if (*buf == '\\' && buf[1] != '\0') {
			buf++;
			escaped = 1;
		}
		if (*buf == ':' && !escaped)
			return *token == '\0' ? buf + 1 : NULL;
		if (*token == '\0' || *buf != *token)
			return NULL;
		buf++;
		token++;
	}
	return NULL;
}

char *
passfile_match_line(const char *line, const char *host, const char *port,
    const char *dbname, const char *user)
{
	const char *t = line;
	char *password, *out;
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || line[0] == '#')
		return NULL;
	/* Work on a copy without the line end, as libpq strips it first. */
	password = xmalloc(len + 1);
	memcpy(password, line, len);
	password[len] = '\0';
	t = password;
	if ((t = field_matches(t, host)) == NULL ||
	    (t = field_matches(t, port)) == NULL ||
	    (t = field_matches(t, dbname)) == NULL ||
	    (t = field_matches(t, user)) == NULL) {
		passfile_free_password(password);
		return NULL;
	}
	/* De-escape in place, stopping at the first unescaped ':'. */
	out = password;
	for (; *t != ':' && *t != '\0'; t++, out++) {
		if (*t == '\\' && t[1] != '\0')
			t++;
		*out = *t;
	}
	/* Clear what followed, so the tail of the line does not linger. */
	memset(out, 0, len - (size_t)(out - password));
	return password;
}

static int
check_mode(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		error_report("could not stat password file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		error_report("password file \"%s\" is not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		error_report("password file \"%s\" has group or other access (mode %04o), expected 0600",
		    path, (unsigned)(st.st_mode & 07777));
		error_hint("chmod 0600 \"%s\"", path);
		return -1;
	}
	return 0;
}

int
passfile_lookup(const char *path, const char *host, const char *port,
    const char *dbname, const char *user, char **password)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int fd;

	*password = NULL;
	/* libpq looks a socket connection up as "localhost". */
	if (host == NULL || host[0] == '\0' || host[0] == '/')
		host = "localhost";
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		error_report("could not open password file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	if (check_mode(fd, path) != 0 || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (*password == NULL && getline(&line, &cap, fp) >= 0)
		*password = passfile_match_line(line, host, port, dbname, user);
	if (ferror(fp)) {
		error_report("could not read password file \"%s\": %s", path, strerror(errno));
		passfile_free_password(*password);
		*password = NULL;
		if (line != NULL)
			memset(line, 0, cap);
		free(line);
		fclose(fp);
		return -1;
	}
	if (line != NULL)
		memset(line, 0, cap);
	free(line);
	fclose(fp);
	return 0;
}

void
passfile_free_password(char *password)
{
	if (password == NULL)
		return;
	memset(password, 0, strlen(password));
	free(password);
}
