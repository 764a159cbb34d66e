/* test_tokensort.c -- the radix sort of tokens: order and stability against qsort */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tokensort.h"

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

/* The shape of a ring point: a token, then its owner. */
struct pair {
	uint64_t token;
	uint32_t owner;
};

static int
pair_compare(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->token != y->token)
		return x->token < y->token ? -1 : 1;
	return x->owner < y->owner ? -1 : x->owner > y->owner;
}

static int
u64_compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * n pairs filled in owner order, tokens drawn by pick; token_sort must give
 * exactly what qsort by (token, owner) gives: sorted, and stable.
 */
static void
check_pairs(size_t n, uint64_t (*pick)(size_t))
{
	struct pair *a = calloc(n ? n : 1, sizeof(*a)), *b = calloc(n ? n : 1, sizeof(*b));
	size_t i;

	for (i = 0; i < n; i++) {
		a[i].token = pick(i);
		a[i].owner = (uint32_t)i;
	}
	memcpy(b, a, n * sizeof(*a));
	qsort(b, n, sizeof(*b), pair_compare);
	token_sort(a, n, sizeof(*a));
	for (i = 0; i < n; i++) {
		assert_true(a[i].token == b[i].token);
		assert_int_equal(a[i].owner, b[i].owner);
	}
	free(a);
	free(b);
}

static uint64_t pick_random(size_t i) { (void)i; return rng_next(); }
/* Few distinct values: many ties, whose owner order must survive. */
static uint64_t pick_ties(size_t i) { (void)i; return rng_next() % 7 << 56 | 0xff; }
/* Tokens that differ only in their low byte: the other passes are skipped. */
static uint64_t pick_low_byte(size_t i) { (void)i; return UINT64_C(0xabcdef0123456700) | (rng_next() & 0xff); }
static uint64_t pick_descending(size_t i) { return UINT64_MAX - i; }
static uint64_t pick_same(size_t i) { (void)i; return 42; }

static void
token_sort__random_tokens__match_qsort(void **state)
{
	(void)state;
	check_pairs(0, pick_random);
	check_pairs(1, pick_random);
	check_pairs(2, pick_random);
	check_pairs(1000, pick_random);
	check_pairs(100000, pick_random);
}

static void
token_sort__ties__keep_their_order(void **state)
{
	(void)state;
	check_pairs(5000, pick_ties);
	check_pairs(300, pick_same);
}

static void
token_sort__skipped_and_reversed_digits__still_sort(void **state)
{
	(void)state;
	check_pairs(5000, pick_low_byte);
	check_pairs(5000, pick_descending);
}

static void
token_sort__bare_tokens__sort_in_place(void **state)
{
	uint64_t a[777], b[777];
	size_t i;

	(void)state;
	for (i = 0; i < 777; i++)
		a[i] = b[i] = rng_next() >> (i % 64);
	qsort(b, 777, sizeof(*b), u64_compare);
	token_sort(a, 777, sizeof(*a));
	assert_memory_equal(a, b, sizeof(a));
	assert_true(tokens_sorted(a, 777));
}

static void
tokens_sorted__out_of_order_pair__is_found(void **state)
{
	uint64_t t[] = { 1, 2, 2, 5, 4 };

	(void)state;
	assert_true(tokens_sorted(t, 4));
	assert_false(tokens_sorted(t, 5));
	assert_true(tokens_sorted(t, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_sort__random_tokens__match_qsort),
		cmocka_unit_test(token_sort__ties__keep_their_order),
		cmocka_unit_test(token_sort__skipped_and_reversed_digits__still_sort),
		cmocka_unit_test(token_sort__bare_tokens__sort_in_place),
		cmocka_unit_test(tokens_sorted__out_of_order_pair__is_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
