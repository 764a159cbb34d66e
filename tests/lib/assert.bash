# assert.bash -- assertions shared by the CLI and integration tests (bats).

# The stderr of the last "run --separate-stderr", for exact comparisons.
assert_stderr() {
	if [ "$stderr" != "$1" ]; then
		printf 'expected stderr: %s\n     got stderr: %s\n' "$1" "$stderr" >&2
		return 1
	fi
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		printf 'expected status %s, got %s\noutput: %s\nstderr: %s\n' \
			"$1" "$status" "$output" "${stderr:-}" >&2
		return 1
	fi
}
