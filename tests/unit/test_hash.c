/* test_hash.c -- the key hash and the token text form */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static void
hash_key__known_vector__matches_reference_xxh3(void **state)
{
	(void)state;
	/* XXH3_64bits("", 0) with seed 0 is the reference value 2d06800538d394c2. */
	assert_true(hash_key("", 0, 0) == UINT64_C(0x2d06800538d394c2));
}

static void
hash_key__different_seeds__give_different_positions(void **state)
{
	(void)state;
	assert_true(hash_key("42", 2, 0) != hash_key("42", 2, 1));
}

static void
token_format__then_parse__round_trips(void **state)
{
	uint64_t values[] = { 0, 1, UINT64_MAX, UINT64_C(0x8000000000000000), UINT64_C(0x0123456789abcdef) };
	char text[TOKEN_TEXT_LEN + 1];
	uint64_t back;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		token_format(values[i], text);
		assert_int_equal(strlen(text), 16);
		assert_int_equal(token_parse(text, &back), 0);
		assert_true(back == values[i]);
	}
	token_format(UINT64_C(0x0123456789abcdef), text);
	assert_string_equal(text, "0123456789abcdef");
}

static void
token_parse__bad_text__is_rejected(void **state)
{
	uint64_t t;

	(void)state;
	assert_int_equal(token_parse("", &t), -1);
	assert_int_equal(token_parse("0123456789abcde", &t), -1);
	assert_int_equal(token_parse("0123456789abcdef0", &t), -1);
	assert_int_equal(token_parse("0123456789ABCDEF", &t), -1);
	assert_int_equal(token_parse("0x23456789abcdef", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_key__known_vector__matches_reference_xxh3),
		cmocka_unit_test(hash_key__different_seeds__give_different_positions),
		cmocka_unit_test(token_format__then_parse__round_trips),
		cmocka_unit_test(token_parse__bad_text__is_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
