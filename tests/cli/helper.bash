# helper.bash -- common set-up for the CLI tests (bats).
#
# Each test runs in its own temporary directory with the build under test
# first on PATH ($SHARDKIT_BUILD, set by tests/run-suite; "build" otherwise),
# and with no configuration or topology leaking in from the environment.

bats_require_minimum_version 1.5.0
load ../lib/assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
EXAMPLES="$TOP/examples"
: "${SHARDKIT_BUILD:=$TOP/build}"
PATH="$SHARDKIT_BUILD/bin:$PATH"
export PATH
unset SHARDKIT_CONF SHARDKIT_TOPOLOGY

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	# An empty configuration so /etc/shardkit.conf on the test machine does
	# not change results.
	: >"$BATS_TEST_TMPDIR/empty.conf"
	chmod 0600 "$BATS_TEST_TMPDIR/empty.conf"
	export SHARDKIT_CONF="$BATS_TEST_TMPDIR/empty.conf"
}

# The usage line of NAME --help must match the SYNOPSIS of man/NAME.1.
usage_matches_synopsis() {
	local name=$1 usage synopsis
	usage=$("$name" --help | sed -n 's/^usage: //p' | head -n 1 | tr -s ' ')
	# A wide page so the synopsis is on one line, as the usage line is.
	synopsis=$(mandoc -Tascii -Owidth=1000 "$TOP/man/$name.1" | col -b |
		awk '/^SYNOPSIS/{getline; print; exit}' | sed 's/^ *//' | tr -s ' ')
	if [ "$usage" != "$synopsis" ]; then
		printf 'usage:    %s\nsynopsis: %s\n' "$usage" "$synopsis" >&2
		return 1
	fi
}
