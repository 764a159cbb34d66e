/* error.h -- the one error path: diagnostics on stderr and named exit statuses
 *
 * Every message a shardkit program prints about a failure goes through here,
 * so it always starts with the program's name and has one shape:
 *     prog: what failed: why
 * followed, where it helps an operator, by "DETAIL:" and "HINT:" lines.
 */
#ifndef SHARDKIT_ERROR_H
#define SHARDKIT_ERROR_H

#include <stdarg.h>

/*
 * Exit statuses shared by every program.  They are chosen so a script can
 * tell a usage mistake from bad input and both from a cluster state: a usage
 * error (2) can never be mistaken for "a server is down" (6), which is the
 * reasoning pg_isready applies to its own statuses.  Each man page's EXIT
 * STATUS section lists the ones its program uses.
 */
enum exit_status {
	EXIT_STATUS_OK = 0,        /* success; for health-probe: all healthy */
	EXIT_STATUS_FAILURE = 1,   /* a runtime failure: I/O, a server error */
	EXIT_STATUS_USAGE = 2,     /* bad options or arguments */
	EXIT_STATUS_INPUT = 3,     /* malformed or invalid input document or key */
	EXIT_STATUS_CONFIG = 4,    /* configuration file unreadable, bad syntax or mode */
	EXIT_STATUS_CONFLICT = 5,  /* state moved under us: the topology's version (compare-and-swap),
	                              a data directory provisioned with other settings */
	EXIT_STATUS_DOWN = 6,      /* health-probe: at least one server unreachable */
	EXIT_STATUS_MISMATCH = 7,  /* health-probe: a server's observed role differs */
	EXIT_STATUS_PLANNED = 8,   /* orchestrate: actions (alerts included) were planned */
	EXIT_STATUS_TIMEOUT = 9,   /* replica-attach: a replica not streaming within --timeout */
};

/* Set once by main() before anything is reported; used as the prefix. */
void error_set_program(const char *argv0);
const char *error_program(void);

/* "prog: message" on stderr. */
void error_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_vreport(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/*
 * The last line error_report printed (without the program name), or NULL
 * when none since error_clear_last(): an executor puts it in its log line.
 */
const char *error_last(void);
void error_clear_last(void);
/* "prog: warning: message" on stderr. */
void error_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: DETAIL: message" and "prog: HINT: message" lines after a report. */
void error_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report and exit with the given status. */
void error_exit(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* The usage-error path: the message, then 'Try "prog --help"', exit 2. */
void error_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * After getopt_long has printed its own one-line complaint (an unknown
 * option, a missing argument): only 'Try "prog --help"', exit 2.
 */
void error_try_help(void) __attribute__((noreturn));

/*
 * Flush and close stdout and exit with status: a full disk or a closed pipe
 * turns into an error (status 1) instead of silently lost output.
 */
void error_finish(int status) __attribute__((noreturn));

/* Allocation that cannot fail: out of memory is reported and exits 1. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
/* a followed by b, newly allocated. */
char *xconcat(const char *a, const char *b);

#endif
