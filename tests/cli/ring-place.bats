#!/usr/bin/env bats
# ring-place: giving ring tokens to shards and servers from the command line.

load helper

FIXTURES="$BATS_TEST_DIRNAME/fixtures"

@test "shards without tokens get vnodes tokens each and the version goes up by one" {
	run --separate-stderr ring-place --vnodes 4 -t "$FIXTURES/ring-unplaced.json"
	assert_status 0
	assert_stderr ""
	[ "$(jq -c '[.version, [.shards[].tokens | length]]' <<< "$output")" = '[2,[4,4,4]]' ]
	# Two shards on an empty ring: the first gets equally spaced tokens, the
	# second the first half of each of its ranges.
	[ "$(jq -c '.shards[0].tokens' <<< "$output")" = '["3fffffffffffffff","7fffffffffffffff","bfffffffffffffff","ffffffffffffffff"]' ]
	[ "$(jq -c '.shards[1].tokens' <<< "$output")" = '["1fffffffffffffff","5fffffffffffffff","9fffffffffffffff","dfffffffffffffff"]' ]
}

@test "the output is a valid topology" {
	ring-place -t "$FIXTURES/ring-unplaced.json" > placed.json
	run --separate-stderr topo-check -t placed.json
	assert_status 0
}

@test "a topology whose owners all have tokens comes out unchanged with its version" {
	ring-place -t "$FIXTURES/ring-unplaced.json" > once.json
	run --separate-stderr ring-place -t once.json
	assert_status 0
	[ "$output" = "$(cat once.json)" ]
	[ "$(jq .version <<< "$output")" = 2 ]
}

@test "placement is deterministic" {
	[ "$(ring-place < "$FIXTURES/ring-unplaced.json")" = "$(ring-place < "$FIXTURES/ring-unplaced.json")" ]
}

@test "existing tokens never move when a shard is added" {
	jq '.shards += [{"id": "s3", "state": "creating"}]' "$FIXTURES/ring-placed.json" > grown.json
	run --separate-stderr ring-place -t grown.json
	assert_status 0
	[ "$(jq -c '[.shards[0:2][].tokens]' <<< "$output")" = "$(jq -c '[.shards[].tokens]' "$FIXTURES/ring-placed.json")" ]
	[ "$(jq '.shards[2].tokens | length' <<< "$output")" = 2 ]
	[ "$(jq .version <<< "$output")" = 8 ]
}

@test "an added shard takes a third of a two-shard ring, from the larger owner first" {
	jq '.shards += [{"id": "s3", "state": "creating"}]' "$FIXTURES/ring-placed.json" | ring-place > grown.json
	run --separate-stderr ring-place --stats -t grown.json
	assert_status 0
	[ "$(jq -c '[.owners[] | .fraction * 1000 | round]' <<< "$output")" = '[333,333,333]' ]
}

@test "--stats reports each shard's share and the balance figures" {
	run --separate-stderr ring-place --stats -t "$FIXTURES/ring-placed.json"
	assert_status 0
	[ "$(jq -c . <<< "$output")" = '{"mode":"primary-replica","owner":"shard","owners":[{"id":"s1","tokens":2,"fraction":0.625},{"id":"s2","tokens":2,"fraction":0.375}],"tokens":4,"min":0.375,"max":0.625,"mean":0.5,"max_over_mean":1.25}' ]
}

@test "--stats of a ring without tokens has a null balance" {
	jq '.shards = [] | .servers = []' "$FIXTURES/ring-unplaced.json" > none.json
	run --separate-stderr ring-place --stats -t none.json
	assert_status 0
	[ "$(jq -c '[.owners, .tokens, .max_over_mean]' <<< "$output")" = '[[],0,null]' ]
}

@test "the document's vnodes is the default" {
	jq '.vnodes = 3' "$FIXTURES/ring-unplaced.json" > v3.json
	run --separate-stderr ring-place -t v3.json
	assert_status 0
	[ "$(jq -c '[.shards[].tokens | length]' <<< "$output")" = '[3,3,3]' ]
}

@test "--vnodes wins over the document's vnodes" {
	jq '.vnodes = 3' "$FIXTURES/ring-unplaced.json" > v3.json
	run --separate-stderr ring-place --vnodes 5 -t v3.json
	assert_status 0
	[ "$(jq -c '[.shards[].tokens | length]' <<< "$output")" = '[5,5,5]' ]
}

@test "without vnodes in the document the configuration's vnodes is used" {
	printf 'vnodes = 6;\n' > shardkit.conf
	chmod 0600 shardkit.conf
	run --separate-stderr ring-place -c shardkit.conf -t "$FIXTURES/ring-unplaced.json"
	assert_status 0
	[ "$(jq -c '[.shards[].tokens | length]' <<< "$output")" = '[6,6,6]' ]
	SHARDKIT_CONF=shardkit.conf run --separate-stderr ring-place -t "$FIXTURES/ring-unplaced.json"
	[ "$(jq -c '[.shards[].tokens | length]' <<< "$output")" = '[6,6,6]' ]
}

@test "with no vnodes anywhere each shard gets 256 tokens" {
	run --separate-stderr ring-place -t "$FIXTURES/ring-unplaced.json"
	assert_status 0
	[ "$(jq -c '[.shards[].tokens | length]' <<< "$output")" = '[256,256,256]' ]
}

@test "multi-master: every server without tokens gets them and shards stay empty" {
	run --separate-stderr ring-place -t "$EXAMPLES/multi-master.json"
	assert_status 0
	[ "$(jq -c '[[.servers[].tokens | length], .shards]' <<< "$output")" = '[[5,5,5,5],[]]' ]
}

@test "a large ring is balanced within 1% of the mean" {
	jq -n '{format: "shardkit-topology/1", version: 1, mode: "no-replication",
		replication_factor: 1, servers: [],
		shards: [range(100) | {id: "s\(.)", state: "active"}]}' > big.json
	run --separate-stderr bash -c "ring-place -t big.json | ring-place --stats | jq '.max_over_mean < 1.01'"
	assert_status 0
	[ "$output" = true ]
}

@test "SHARDKIT_TOPOLOGY never overrides the topology piped in" {
	SHARDKIT_TOPOLOGY="$EXAMPLES/multi-master.json" run --separate-stderr ring-place < "$FIXTURES/ring-placed.json"
	assert_status 0
	[ "$(jq .version <<< "$output")" = 7 ]
}

@test "an invalid --vnodes is a usage error" {
	for n in 0 65537 x 3x ''; do
		run --separate-stderr ring-place --vnodes "$n" -t "$FIXTURES/ring-unplaced.json"
		assert_status 2
		assert_stderr "$(printf '%s\n%s' "ring-place: invalid --vnodes \"$n\": expected an integer from 1 to 65536" 'Try "ring-place --help" for more information.')"
		[ -z "$output" ]
	done
}

@test "an argument is a usage error" {
	run --separate-stderr ring-place topology.json
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-place: unexpected argument "topology.json"' 'Try "ring-place --help" for more information.')"
}

@test "an unknown option is a usage error" {
	run --separate-stderr ring-place --bogus
	assert_status 2
	assert_stderr "$(printf '%s\n%s' "ring-place: unrecognized option '--bogus'" 'Try "ring-place --help" for more information.')"
}

@test "a truncated topology is rejected with its line and column" {
	printf '{\n  "version": 1,\n  "mode": ' > t.json
	run --separate-stderr ring-place -t t.json
	assert_status 3
	assert_stderr "ring-place: t.json:3:10: unexpected token near end of file"
	[ -z "$output" ]
}

@test "an invalid topology is rejected with the JSON path of the problem" {
	jq '.shards[0].tokens = ["xyz"]' "$FIXTURES/ring-placed.json" > bad.json
	run --separate-stderr ring-place < bad.json
	assert_status 3
	[[ "$stderr" == "ring-place: <stdin>: shards[0].tokens[0]: "* ]]
	[ -z "$output" ]
}

@test "a missing topology file is a read failure" {
	run --separate-stderr ring-place -t missing.json
	assert_status 1
	assert_stderr 'ring-place: could not open "missing.json": No such file or directory'
}

@test "a configuration file with bad syntax is a configuration error" {
	printf 'vnodes = ;\n' > bad.conf
	chmod 0600 bad.conf
	run --separate-stderr ring-place -c bad.conf -t "$FIXTURES/ring-placed.json"
	assert_status 4
	assert_stderr "ring-place: bad.conf:1: syntax error"
	[ -z "$output" ]
}

@test "a configuration file writable by others is a configuration error" {
	printf 'vnodes = 8;\n' > open.conf
	chmod 0666 open.conf
	run --separate-stderr ring-place -c open.conf -t "$FIXTURES/ring-placed.json"
	assert_status 4
	assert_stderr "$(printf '%s\n%s' 'ring-place: configuration file "open.conf" is writable by group or others (mode 0666)' 'ring-place: HINT: chmod go-w "open.conf"')"
}

@test "a full disk is reported" {
	run --separate-stderr bash -c "ring-place -t '$FIXTURES/ring-unplaced.json' > /dev/full"
	assert_status 1
	assert_stderr "ring-place: could not write to standard output: No space left on device"
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr ring-place --help
	assert_status 0
	[ "${lines[0]}" = "usage: ring-place [--stats] [-c file] [-t file] [--vnodes n]" ]
}

@test "--version prints the program and version" {
	run --separate-stderr ring-place --version
	assert_status 0
	[ "$output" = "ring-place (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the man page synopsis" {
	usage_matches_synopsis ring-place
}

@test "the man page examples run" {
	cd "$TOP"
	ring-place < examples/primary-replica.json > "$BATS_TEST_TMPDIR/placed.json"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr bash -c "ring-place --stats < placed.json | jq .max_over_mean"
	assert_status 0
	[ "$output" = 1 ]
	jq '.shards += [{"id": "s3", "state": "creating"}]' placed.json |
		ring-place > grown.json
	[ "$(jq '.shards[2].tokens | length' grown.json)" = 256 ]
	cd "$TOP"
	run --separate-stderr ring-place --vnodes 64 --stats -t examples/multi-master.json
	assert_status 0
	[ "$(jq '[.owners[].tokens] | add' <<< "$output")" = 256 ]
}

@test "a document without vnodes is placed with the configuration's and records it" {
	printf 'vnodes = 8;\n' > eight.conf
	jq 'del(.vnodes)' "$EXAMPLES/primary-replica.json" > novnodes.json
	run --separate-stderr ring-place -c eight.conf -t novnodes.json
	assert_status 0
	[ "$(jq .vnodes <<< "$output")" -eq 8 ]
	[ "$(jq '.shards[0].tokens | length' <<< "$output")" -eq 8 ]
	# The document's own vnodes wins over the configuration's.
	run --separate-stderr ring-place -c eight.conf -t "$EXAMPLES/primary-replica.json"
	[ "$(jq '.shards[0].tokens | length' <<< "$output")" -eq 256 ]
}
