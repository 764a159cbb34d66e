/* test_keystream.c -- keys one per line: line ends, limits, bad bytes, batches */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "keystream.h"

/* Every key of data joined as "key|key|...", read size read_size; the status at the end. */
static int
collect(const char *data, size_t size, size_t read_size, char *out, size_t cap)
{
	struct keystream ks;
	const char *key;
	size_t len, used = 0;
	int rc;

	keystream_open_memory(&ks, data, size);
	ks.read_size = read_size;
	out[0] = '\0';
	while ((rc = keystream_next(&ks, &key, &len)) == KEYSTREAM_KEY) {
		assert_true(used + len + 2 < cap);
		memcpy(out + used, key, len);
		used += len;
		out[used++] = '|';
		out[used] = '\0';
	}
	keystream_close(&ks);
	return rc;
}

static void
keystream_next__lf_crlf_and_unterminated_last_line__give_the_same_keys(void **state)
{
	char out[256];
	size_t sizes[] = { 1, 2, 3, 7, KEYSTREAM_READ_SIZE };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(collect("a\nbb\r\n\nccc", 10, sizes[i], out, sizeof(out)), KEYSTREAM_END);
		assert_string_equal(out, "a|bb||ccc|");
	}
}

static void
keystream_next__empty_input__ends_at_once(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(collect("", 0, 4, out, sizeof(out)), KEYSTREAM_END);
	assert_string_equal(out, "");
	/* One newline is one empty key. */
	assert_int_equal(collect("\n", 1, 4, out, sizeof(out)), KEYSTREAM_END);
	assert_string_equal(out, "|");
}

static void
keystream_next__only_one_carriage_return__is_removed(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(collect("a\r\r\nb\rc\n", 8, 3, out, sizeof(out)), KEYSTREAM_END);
	assert_string_equal(out, "a\r|b\rc|");
}

static void
keystream_next__nul_byte__is_an_error_on_its_line_after_earlier_keys(void **state)
{
	static const char data[] = "one\ntwo\nth\0ree\nfour\n";
	struct keystream ks;
	const char *key;
	size_t len;

	(void)state;
	keystream_open_memory(&ks, data, sizeof(data) - 1);
	ks.read_size = 5;
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
	assert_memory_equal(key, "two", 3);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_BAD_KEY);
	assert_int_equal(ks.line, 3);
	assert_string_equal(ks.error, "key contains a NUL byte");
	/* The error sticks. */
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_BAD_KEY);
	keystream_close(&ks);
}

static void
keystream_next__maximal_key__is_accepted_with_or_without_cr(void **state)
{
	size_t n = KEYSTREAM_KEY_MAX + 2;
	char *data = malloc(n * 2);
	struct keystream ks;
	const char *key;
	size_t len;

	(void)state;
	memset(data, 'k', n * 2);
	data[KEYSTREAM_KEY_MAX] = '\r';
	data[KEYSTREAM_KEY_MAX + 1] = '\n';
	data[n + KEYSTREAM_KEY_MAX] = '\n';
	keystream_open_memory(&ks, data, n + KEYSTREAM_KEY_MAX + 1);
	ks.read_size = 1000;
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
	assert_int_equal(len, KEYSTREAM_KEY_MAX);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
	assert_int_equal(len, KEYSTREAM_KEY_MAX);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_END);
	keystream_close(&ks);
	free(data);
}

static void
keystream_next__key_one_byte_too_long__is_an_error_naming_its_line(void **state)
{
	size_t sizes[] = { 1000, KEYSTREAM_READ_SIZE }, i;
	size_t n = KEYSTREAM_KEY_MAX + 1;
	char *data = malloc(n + 8);
	struct keystream ks;
	const char *key;
	size_t len;

	(void)state;
	memcpy(data, "ok\n", 3);
	memset(data + 3, 'k', n);
	data[3 + n] = '\n';
	for (i = 0; i < 2; i++) {
		keystream_open_memory(&ks, data, n + 4);
		ks.read_size = sizes[i];
		assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
		assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_BAD_KEY);
		assert_int_equal(ks.line, 2);
		assert_string_equal(ks.error, "key longer than 65536 bytes");
		keystream_close(&ks);
	}
	/* A long line without any newline, too. */
	keystream_open_memory(&ks, data + 3, n);
	ks.read_size = 4096;
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_BAD_KEY);
	assert_int_equal(ks.line, 1);
	keystream_close(&ks);
	free(data);
}

static void
keystream_next_batch__error_after_keys__comes_with_the_next_call(void **state)
{
	static const char data[] = "a\nb\nc\0\nd\n";
	const char *keys[8];
	size_t lens[8];
	struct keystream ks;

	(void)state;
	keystream_open_memory(&ks, data, sizeof(data) - 1);
	assert_int_equal(keystream_next_batch(&ks, keys, lens, 8), 2);
	assert_memory_equal(keys[0], "a", 1);
	assert_memory_equal(keys[1], "b", 1);
	assert_int_equal(keystream_next_batch(&ks, keys, lens, 8), KEYSTREAM_BAD_KEY);
	assert_int_equal(ks.line, 3);
	keystream_close(&ks);
}

static void
keystream_next_batch__small_batches__deliver_every_key_in_order(void **state)
{
	static const char data[] = "1\n2\n3\n4\n5\n6\n7";
	const char *keys[3];
	size_t lens[3], total = 0;
	struct keystream ks;
	int n, i;

	(void)state;
	keystream_open_memory(&ks, data, sizeof(data) - 1);
	ks.read_size = 5;
	while ((n = keystream_next_batch(&ks, keys, lens, 3)) > 0) {
		assert_true(n <= 3);
		for (i = 0; i < n; i++) {
			assert_int_equal(lens[i], 1);
			assert_int_equal(keys[i][0], (char)('1' + total));
			total++;
		}
	}
	assert_int_equal(n, KEYSTREAM_END);
	assert_int_equal(total, 7);
	keystream_close(&ks);
}

static void
keystream_open_fd__pipe__reads_keys_and_a_directory_fails_to_read(void **state)
{
	struct keystream ks;
	const char *key;
	size_t len;
	int fds[2], dir;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "x\ny\n", 4), 4);
	close(fds[1]);
	keystream_open_fd(&ks, fds[0]);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_KEY);
	assert_memory_equal(key, "y", 1);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_END);
	keystream_close(&ks);
	close(fds[0]);

	dir = open("/", O_RDONLY | O_DIRECTORY);
	assert_true(dir >= 0);
	keystream_open_fd(&ks, dir);
	assert_int_equal(keystream_next(&ks, &key, &len), KEYSTREAM_READ_ERROR);
	assert_string_equal(ks.error, "Is a directory");
	keystream_close(&ks);
	close(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keystream_next__lf_crlf_and_unterminated_last_line__give_the_same_keys),
		cmocka_unit_test(keystream_next__empty_input__ends_at_once),
		cmocka_unit_test(keystream_next__only_one_carriage_return__is_removed),
		cmocka_unit_test(keystream_next__nul_byte__is_an_error_on_its_line_after_earlier_keys),
		cmocka_unit_test(keystream_next__maximal_key__is_accepted_with_or_without_cr),
		cmocka_unit_test(keystream_next__key_one_byte_too_long__is_an_error_naming_its_line),
		cmocka_unit_test(keystream_next_batch__error_after_keys__comes_with_the_next_call),
		cmocka_unit_test(keystream_next_batch__small_batches__deliver_every_key_in_order),
		cmocka_unit_test(keystream_open_fd__pipe__reads_keys_and_a_directory_fails_to_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
