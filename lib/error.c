/* error.c -- the one error path: diagnostics on stderr and named exit statuses */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const char *program_name = "shardkit";
static char last_error[4096];   /* the last error_report line, for logs (error_last) */

void
error_set_program(const char *argv0)
{
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	slash = strrchr(argv0, '/');
	program_name = slash != NULL ? slash + 1 : argv0;
}

const char *
error_program(void)
{
	return program_name;
}

void
error_vreport(const char *fmt, va_list ap)
{
	/* One fprintf per line so concurrent writers do not interleave mid-line. */
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s\n", program_name, line);
	snprintf(last_error, sizeof(last_error), "%s", line);
}

const char *
error_last(void)
{
	return last_error[0] != '\0' ? last_error : NULL;
}

void
error_clear_last(void)
{
	last_error[0] = '\0';
}

void
error_report(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vreport(fmt, ap);
	va_end(ap);
}

static void
prefixed(const char *prefix, const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "%s: %s: %s\n", program_name, prefix, line);
}

void
error_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prefixed("warning", fmt, ap);
	va_end(ap);
}

void
error_detail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prefixed("DETAIL", fmt, ap);
	va_end(ap);
}

void
error_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	prefixed("HINT", fmt, ap);
	va_end(ap);
}

void
error_exit(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vreport(fmt, ap);
	va_end(ap);
	exit(status);
}

void
error_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vreport(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try \"%s --help\" for more information.\n", program_name);
	exit(EXIT_STATUS_USAGE);
}

void
error_try_help(void)
{
	fprintf(stderr, "Try \"%s --help\" for more information.\n", program_name);
	exit(EXIT_STATUS_USAGE);
}

void
error_finish(int status)
{
	/*
	 * Output is only known to be delivered once stdout is flushed and
	 * closed; a write error here must not be reported as success.
	 */
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno == EPIPE)
			exit(status != 0 ? status : EXIT_STATUS_FAILURE);
		error_report("could not write to standard output: %s", strerror(errno));
		exit(status != 0 ? status : EXIT_STATUS_FAILURE);
	}
	exit(status);
}

static void *
checked(void *ptr)
{
	if (ptr == NULL) {
		error_report("out of memory");
		exit(EXIT_STATUS_FAILURE);
	}
	return ptr;
}

void *
xmalloc(size_t size)
{
	return checked(malloc(size == 0 ? 1 : size));
}

void *
xcalloc(size_t count, size_t size)
{
	return checked(calloc(count == 0 ? 1 : count, size == 0 ? 1 : size));
}

void *
xrealloc(void *ptr, size_t size)
{
	return checked(realloc(ptr, size == 0 ? 1 : size));
}

void *
xreallocarray(void *ptr, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size) {
		error_report("out of memory");
		exit(EXIT_STATUS_FAILURE);
	}
	return xrealloc(ptr, count * size);
}

char *
xstrdup(const char *s)
{
	return checked(strdup(s));
}

char *
xconcat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = xmalloc(la + lb + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}
