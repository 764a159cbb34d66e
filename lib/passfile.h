/* passfile.h -- reading a libpq password file with libpq's own rules */
#ifndef SHARDKIT_PASSFILE_H
#define SHARDKIT_PASSFILE_H

/*
 * Match one line of a password file (hostname:port:database:username:password)
 * against a connection's four values, with libpq's rules: a field that is
 * exactly "*" matches anything, a backslash escapes the next character (so
 * "\:" and "\\" stand for ':' and '\'), a line starting with '#' is a
 * comment, a trailing "\r" or "\n" is ignored, and the password ends at the
 * first unescaped ':'.  Returns the password (caller frees with
 * passfile_free_password) or NULL when the line does not match.
 */
char *passfile_match_line(const char *line, const char *host, const char *port,
    const char *dbname, const char *user);

/*
 * The password of the first matching line of the file at path, as libpq
 * would pick it (a host that is empty or a socket directory is looked up as
 * "localhost").  The file must be a regular file with no group or other
 * permissions: libpq silently ignores such a file, shardkit refuses it so a
 * leaked secret is not used unnoticed.  Returns 0 with *password set (NULL
 * when no line matches; caller frees), or -1 after reporting the problem.
 */
int passfile_lookup(const char *path, const char *host, const char *port,
    const char *dbname, const char *user, char **password);

/* Clear and free a password returned above (NULL is fine). */
void passfile_free_password(char *password);

#endif
