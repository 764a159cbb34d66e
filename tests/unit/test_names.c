/* test_names.c -- the name index: earlier duplicates and look-ups against brute force */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"

/* A deterministic generator, so a failing case can be replayed. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* For every entry, the earlier entries with its name are exactly the pairwise loop's. */
static void
check_earlier(const char *const *names, size_t n)
{
	struct name_index x;
	size_t i, j, k, first, dups;

	name_index_build(&x, names, n);
	for (i = 0; i < n; i++) {
		dups = name_index_earlier(&x, i, &first);
		k = 0;
		for (j = 0; j < i; j++) {
			if (strcmp(names[i], names[j]) != 0)
				continue;
			assert_true(k < dups);
			assert_int_equal(x.sorted[first + k].index, j);
			k++;
		}
		assert_int_equal(k, dups);
	}
	name_index_free(&x);
}

static void
name_index_earlier__random_names__match_the_pairwise_loop(void **state)
{
	static char text[2000][8];
	const char *names[2000];
	size_t i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		/* Few distinct names, and some prefixes of others. */
		snprintf(text[i], sizeof(text[i]), "s%u", (unsigned)(rng_next() % (i % 3 ? 300 : 30)));
		names[i] = text[i];
	}
	check_earlier(names, 2000);
	check_earlier(names, 1);
	check_earlier(names, 0);
}

static void
name_index_earlier__three_copies__name_both_earlier_in_order(void **state)
{
	const char *names[] = { "x", "y", "x", "", "x", "" };
	struct name_index x;
	size_t first;

	(void)state;
	name_index_build(&x, names, 6);
	assert_int_equal(name_index_earlier(&x, 0, &first), 0);
	assert_int_equal(name_index_earlier(&x, 4, &first), 2);
	assert_int_equal(x.sorted[first].index, 0);
	assert_int_equal(x.sorted[first + 1].index, 2);
	assert_int_equal(name_index_earlier(&x, 5, &first), 1);
	assert_int_equal(x.sorted[first].index, 3);
	name_index_free(&x);
}

static void
name_index_find__duplicates_and_misses__give_the_first_or_minus_one(void **state)
{
	const char *names[] = { "s2", "s10", "s1", "s10", "s1" };
	struct name_index x;

	(void)state;
	name_index_build(&x, names, 5);
	assert_int_equal(name_index_find(&x, "s1"), 2);
	assert_int_equal(name_index_find(&x, "s10"), 1);
	assert_int_equal(name_index_find(&x, "s2"), 0);
	assert_int_equal(name_index_find(&x, "s"), -1);
	assert_int_equal(name_index_find(&x, "s3"), -1);
	assert_int_equal(name_index_find(&x, ""), -1);
	name_index_free(&x);
	name_index_build(&x, names, 0);
	assert_int_equal(name_index_find(&x, "s1"), -1);
	name_index_free(&x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(name_index_earlier__random_names__match_the_pairwise_loop),
		cmocka_unit_test(name_index_earlier__three_copies__name_both_earlier_in_order),
		cmocka_unit_test(name_index_find__duplicates_and_misses__give_the_first_or_minus_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
