#!/usr/bin/env bats
# shardkit-verify without a live cluster: options and its error statuses.
# tests/integration/client.bats runs it against real servers.

load helper

PATH="$SHARDKIT_BUILD/examples:$PATH"
FIXTURES="$BATS_TEST_DIRNAME/fixtures"

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr shardkit-verify --help
	assert_status 0
	[ "${lines[0]}" = "usage: shardkit-verify [-c file] [-t file] --table name --key-column column [--retry-for seconds] [ledger]" ]
}

@test "--version names the program and the toolkit" {
	run --separate-stderr shardkit-verify --version
	assert_status 0
	[[ "$output" == "shardkit-verify (shardkit) "* ]]
}

@test "a missing --key-column is a usage error" {
	run --separate-stderr shardkit-verify -t topology.json --table t
	assert_status 2
	[ "${stderr_lines[0]}" = "shardkit-verify: --table and --key-column are required" ]
}

@test "two ledgers are a usage error" {
	run --separate-stderr shardkit-verify -t topology.json --table t --key-column id a b
	assert_status 2
	[ "${stderr_lines[0]}" = 'shardkit-verify: unexpected argument "b"' ]
}

@test "a missing ledger exits 1 with its name" {
	run --separate-stderr shardkit-verify -t "$FIXTURES/ring-placed.json" --table t --key-column id nope.txt
	assert_status 1
	[ "${stderr_lines[0]}" = "shardkit-verify: nope.txt: No such file or directory" ]
	[ -z "$output" ]
}
