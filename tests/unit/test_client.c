/* test_client.c -- the client handle's pure parts: what an outcome means, how long to wait */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"

static void
client_classify__command_ok__is_done(void **state)
{
	(void)state;
	assert_int_equal(client_classify(1, PGRES_COMMAND_OK, NULL, 1), CLIENT_DONE);
	assert_int_equal(client_classify(1, PGRES_TUPLES_OK, NULL, 1), CLIENT_DONE);
}

static void
client_classify__nothing_sent__is_retried(void **state)
{
	(void)state;
	/* Connection refused, in recovery, shutting down: the write never left. */
	assert_int_equal(client_classify(0, PGRES_FATAL_ERROR, NULL, 0), CLIENT_RETRY);
	assert_int_equal(client_classify(0, PGRES_FATAL_ERROR, "57P03", 0), CLIENT_RETRY);
}

static void
client_classify__read_only_server__is_retried(void **state)
{
	(void)state;
	/* A fenced or demoted primary, or a standby: refused before writing. */
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "25006", 1), CLIENT_RETRY);
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "25006", 0), CLIENT_RETRY);
}

static void
client_classify__cannot_connect_now__is_retried(void **state)
{
	(void)state;
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "57P03", 0), CLIENT_RETRY);
}

static void
client_classify__serialization_failure_on_live_connection__is_retried(void **state)
{
	(void)state;
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "40001", 1), CLIENT_RETRY);
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "40P01", 1), CLIENT_RETRY);
}

static void
client_classify__connection_lost_after_sending__is_unknown(void **state)
{
	(void)state;
	/* SIGKILLed primary: EOF, no SQLSTATE. */
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, NULL, 0), CLIENT_UNKNOWN);
	/* Fast shutdown or crash of the server while the statement ran. */
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "57P01", 0), CLIENT_UNKNOWN);
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "57P02", 0), CLIENT_UNKNOWN);
	/* Even a rollback-class error cannot be trusted once the connection died. */
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "40001", 0), CLIENT_UNKNOWN);
}

static void
client_classify__connection_exception_class__is_unknown(void **state)
{
	(void)state;
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "08006", 1), CLIENT_UNKNOWN);
}

static void
client_classify__sql_error__fails(void **state)
{
	(void)state;
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "23505", 1), CLIENT_FAIL);
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "42P01", 1), CLIENT_FAIL);
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, "42501", 1), CLIENT_FAIL);
	assert_int_equal(client_classify(1, PGRES_FATAL_ERROR, NULL, 1), CLIENT_FAIL);
}

static void
client_backoff__first_retry__is_between_half_and_whole_initial(void **state)
{
	(void)state;
	assert_true(client_backoff(0, 0.1, 5, 0) == 0.05);
	assert_true(client_backoff(0, 0.1, 5, 0.999999) <= 0.1);
	assert_true(client_backoff(0, 0.1, 5, 0.999999) > 0.099);
}

static void
client_backoff__later_retries__double_until_the_cap(void **state)
{
	unsigned attempt;
	double ceiling = 0.1, unit;

	(void)state;
	for (attempt = 0; attempt < 100; attempt++) {
		for (unit = 0; unit < 1; unit += 0.125) {
			double d = client_backoff(attempt, 0.1, 2.0, unit);

			assert_true(d >= ceiling / 2);
			assert_true(d <= ceiling);
		}
		ceiling = ceiling * 2 > 2.0 ? 2.0 : ceiling * 2;
	}
	assert_true(client_backoff(3, 0.1, 2.0, 0) == 0.4);
}

static void
client_backoff__out_of_range_unit__is_clamped(void **state)
{
	(void)state;
	assert_true(client_backoff(0, 1, 1, -3) == 0.5);
	assert_true(client_backoff(0, 1, 1, 7) == 1.0);
}

static void
client_quote_table__schema_qualified__quotes_each_part(void **state)
{
	char *q;

	(void)state;
	q = client_quote_table(NULL, "public.ledger_test");
	assert_string_equal(q, "\"public\".\"ledger_test\"");
	free(q);
	q = client_quote_table(NULL, "we\"ird");
	assert_string_equal(q, "\"we\"\"ird\"");
	free(q);
}

static void
client_quote_table__malformed_name__is_refused(void **state)
{
	(void)state;
	assert_null(client_quote_table(NULL, ""));
	assert_null(client_quote_table(NULL, ".t"));
	assert_null(client_quote_table(NULL, "s."));
	assert_null(client_quote_table(NULL, "a.b.c"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_classify__command_ok__is_done),
		cmocka_unit_test(client_classify__nothing_sent__is_retried),
		cmocka_unit_test(client_classify__read_only_server__is_retried),
		cmocka_unit_test(client_classify__cannot_connect_now__is_retried),
		cmocka_unit_test(client_classify__serialization_failure_on_live_connection__is_retried),
		cmocka_unit_test(client_classify__connection_lost_after_sending__is_unknown),
		cmocka_unit_test(client_classify__connection_exception_class__is_unknown),
		cmocka_unit_test(client_classify__sql_error__fails),
		cmocka_unit_test(client_backoff__first_retry__is_between_half_and_whole_initial),
		cmocka_unit_test(client_backoff__later_retries__double_until_the_cap),
		cmocka_unit_test(client_backoff__out_of_range_unit__is_clamped),
		cmocka_unit_test(client_quote_table__schema_qualified__quotes_each_part),
		cmocka_unit_test(client_quote_table__malformed_name__is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
