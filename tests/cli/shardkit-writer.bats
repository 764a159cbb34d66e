#!/usr/bin/env bats
# shardkit-writer without a live cluster: options, a bad or unusable
# topology, and a primary nothing listens on (the retry deadline).
# tests/integration/client.bats runs it against real servers.

load helper

PATH="$SHARDKIT_BUILD/examples:$PATH"
FIXTURES="$BATS_TEST_DIRNAME/fixtures"

# A loopback port nothing listens on now.
closed_port() {
	local port=$(( 20000 + RANDOM % 40000 ))
	while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do
		port=$(( 20000 + RANDOM % 40000 ))
	done
	echo "$port"
}

# A placed topology whose servers listen on loopback ports nobody uses.
closed_topology() {
	local ports
	ports=$(for _ in 1 2 3 4 5 6; do closed_port; done | jq -s -c .)
	jq --argjson p "$ports" '.servers |= [to_entries[] |
		.value.conninfo = "host=127.0.0.1 port=\($p[.key]) dbname=postgres" | .value]' \
		"$FIXTURES/ring-placed.json" > topology.json
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr shardkit-writer --help
	assert_status 0
	[ "${lines[0]}" = "usage: shardkit-writer [-c file] [-t file] --table name --key-column column [--count n] [--duration seconds] [--ledger file] [--rate writes] [--retry-for seconds] [--timeout seconds] [--key-prefix prefix | --random-keys]" ]
	[ -z "$stderr" ]
}

@test "--version names the program and the toolkit" {
	run --separate-stderr shardkit-writer --version
	assert_status 0
	[[ "$output" == "shardkit-writer (shardkit) "* ]]
}

@test "a missing --table is a usage error" {
	run --separate-stderr shardkit-writer -t topology.json --key-column id
	assert_status 2
	[ "${stderr_lines[0]}" = "shardkit-writer: --table and --key-column are required" ]
	[ "${stderr_lines[1]}" = 'Try "shardkit-writer --help" for more information.' ]
	[ -z "$output" ]
}

@test "standard input is refused as the topology: it could not be re-read" {
	run --separate-stderr shardkit-writer -t - --table t --key-column id
	assert_status 2
	[ "${stderr_lines[0]}" = 'shardkit-writer: a topology file is required (-t or $SHARDKIT_TOPOLOGY): it is re-read on failover' ]
}

@test "a count that is not a positive integer is a usage error" {
	run --separate-stderr shardkit-writer -t topology.json --table t --key-column id --count 0
	assert_status 2
	[ "${stderr_lines[0]}" = 'shardkit-writer: invalid --count "0": expected an integer from 1 to 18446744073709551615' ]
}

@test "an unknown option is reported once, exit 2" {
	run --separate-stderr shardkit-writer --bogus
	assert_status 2
	[ "${stderr_lines[0]}" = "shardkit-writer: unrecognized option '--bogus'" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "a missing topology file exits 1 and writes nothing" {
	run --separate-stderr shardkit-writer -t missing.json --table t --key-column id
	assert_status 1
	[ "${stderr_lines[0]}" = 'shardkit-writer: could not open "missing.json": No such file or directory' ]
	[ -z "$output" ]
}

@test "a topology with no placed tokens is refused, exit 3" {
	run --separate-stderr shardkit-writer -t "$FIXTURES/ring-unplaced.json" --table t --key-column id
	assert_status 3
	[ "${stderr_lines[0]}" = "shardkit-writer: $FIXTURES/ring-unplaced.json: no shard is routable (has ring-place run?)" ]
}

@test "a primary nobody listens on is retried until --retry-for, then exit 6" {
	closed_topology
	run --separate-stderr shardkit-writer -t topology.json --table t --key-column id --retry-for 0.3
	assert_status 6
	[[ "${stderr_lines[0]}" == 'shardkit-writer: could not prepare table "t": could not connect to "pg1": '*'Connection refused' ]]
	[ "$(jq .acknowledged <<< "$output")" -eq 0 ]
	[ "$(jq .retries <<< "$output")" -gt 0 ]
}
