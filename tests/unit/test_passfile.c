/* test_passfile.c -- password file lines matched with libpq's rules */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "passfile.h"

/* Match line against the usual test connection and return the password. */
static char *
match(const char *line, const char *user)
{
	return passfile_match_line(line, "127.0.0.1", "5433", "postgres", user);
}

static void
assert_password(const char *line, const char *user, const char *expected)
{
	char *pw = match(line, user);

	if (expected == NULL) {
		assert_null(pw);
		return;
	}
	assert_non_null(pw);
	assert_string_equal(pw, expected);
	passfile_free_password(pw);
}

static void
passfile_match_line__exact_fields__give_password(void **state)
{
	(void)state;
	assert_password("127.0.0.1:5433:postgres:admin:s3cret\n", "admin", "s3cret");
}

static void
passfile_match_line__other_user_or_port__do_not_match(void **state)
{
	(void)state;
	assert_password("127.0.0.1:5433:postgres:admin:s3cret", "other", NULL);
	assert_password("127.0.0.1:5434:postgres:admin:s3cret", "admin", NULL);
	assert_password("127.0.0.1:543:postgres:admin:s3cret", "admin", NULL);
	assert_password("127.0.0.1:54330:postgres:admin:s3cret", "admin", NULL);
}

static void
passfile_match_line__star_fields__match_anything(void **state)
{
	(void)state;
	assert_password("*:*:*:admin:pw", "admin", "pw");
	assert_password("*:*:*:*:pw", "anyone", "pw");
}

static void
passfile_match_line__star_inside_a_field__is_literal(void **state)
{
	(void)state;
	/* Only a field that is exactly "*" is a wildcard, as in libpq. */
	assert_password("127.0.0.*:5433:postgres:admin:pw", "admin", NULL);
	assert_password("*:*:*:adm*:pw", "admin", NULL);
	assert_password("*:*:*:adm*:pw", "adm*", "pw");
}

static void
passfile_match_line__escaped_colon_and_backslash__are_unescaped(void **state)
{
	(void)state;
	assert_password("*:*:*:a\\:b:p\\:w\\\\d", "a:b", "p:w\\d");
	/* An escaped star is a literal star, not a wildcard. */
	assert_password("*:*:*:\\*:pw", "admin", NULL);
	assert_password("*:*:*:\\*:pw", "*", "pw");
}

static void
passfile_match_line__password_ends_at_unescaped_colon(void **state)
{
	(void)state;
	assert_password("*:*:*:admin:first:second", "admin", "first");
}

static void
passfile_match_line__crlf_comment_and_empty__are_handled(void **state)
{
	(void)state;
	assert_password("*:*:*:admin:pw\r\n", "admin", "pw");
	assert_password("#*:*:*:admin:pw", "admin", NULL);
	assert_password("", "admin", NULL);
	assert_password("\n", "admin", NULL);
}

static void
passfile_match_line__missing_fields__do_not_match(void **state)
{
	(void)state;
	assert_password("*:*:*", "admin", NULL);
	assert_password("*:*:*:admin", "admin", NULL);
	assert_password("*:*:*:admin:", "admin", "");
}

/* Write text to a fresh temporary file of the given mode; returns its name. */
static char *
temp_file(const char *text, mode_t mode)
{
	char *path = xstrdup("/tmp/test_passfile.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void
passfile_lookup__first_matching_line__wins(void **state)
{
	char *path = temp_file("# comment\n"
	    "127.0.0.1:5433:replication:repl:r1\n"
	    "127.0.0.1:*:postgres:admin:first\n"
	    "*:*:*:admin:second\n", 0600);
	char *pw = NULL;

	(void)state;
	assert_int_equal(passfile_lookup(path, "127.0.0.1", "5433", "postgres", "admin", &pw), 0);
	assert_string_equal(pw, "first");
	passfile_free_password(pw);
	assert_int_equal(passfile_lookup(path, "127.0.0.1", "5433", "replication", "repl", &pw), 0);
	assert_string_equal(pw, "r1");
	passfile_free_password(pw);
	assert_int_equal(passfile_lookup(path, "127.0.0.1", "5433", "postgres", "nobody", &pw), 0);
	assert_null(pw);
	unlink(path);
	free(path);
}

static void
passfile_lookup__socket_host__is_looked_up_as_localhost(void **state)
{
	char *path = temp_file("localhost:5433:postgres:admin:local\n", 0600);
	char *pw = NULL;

	(void)state;
	assert_int_equal(passfile_lookup(path, "/run/sock", "5433", "postgres", "admin", &pw), 0);
	assert_string_equal(pw, "local");
	passfile_free_password(pw);
	unlink(path);
	free(path);
}

static void
passfile_lookup__group_readable_file__is_refused(void **state)
{
	char *path = temp_file("*:*:*:admin:pw\n", 0640);
	char *pw = NULL;

	(void)state;
	assert_int_equal(passfile_lookup(path, "127.0.0.1", "5433", "postgres", "admin", &pw), -1);
	assert_null(pw);
	unlink(path);
	free(path);
}

static void
passfile_lookup__missing_file__is_an_error(void **state)
{
	char *pw = NULL;

	(void)state;
	assert_int_equal(passfile_lookup("/nonexistent/shardkit-pgpass", "h", "1", "d", "u", &pw), -1);
	assert_null(pw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passfile_match_line__exact_fields__give_password),
		cmocka_unit_test(passfile_match_line__other_user_or_port__do_not_match),
		cmocka_unit_test(passfile_match_line__star_fields__match_anything),
		cmocka_unit_test(passfile_match_line__star_inside_a_field__is_literal),
		cmocka_unit_test(passfile_match_line__escaped_colon_and_backslash__are_unescaped),
		cmocka_unit_test(passfile_match_line__password_ends_at_unescaped_colon),
		cmocka_unit_test(passfile_match_line__crlf_comment_and_empty__are_handled),
		cmocka_unit_test(passfile_match_line__missing_fields__do_not_match),
		cmocka_unit_test(passfile_lookup__first_matching_line__wins),
		cmocka_unit_test(passfile_lookup__socket_host__is_looked_up_as_localhost),
		cmocka_unit_test(passfile_lookup__group_readable_file__is_refused),
		cmocka_unit_test(passfile_lookup__missing_file__is_an_error),
	};

	error_set_program("test_passfile");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
