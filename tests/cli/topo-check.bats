#!/usr/bin/env bats
# topo-check: validation of topology documents from the command line.

load helper

@test "every example topology is valid" {
	for f in "$EXAMPLES"/*.json; do
		run --separate-stderr topo-check -t "$f"
		assert_status 0
		assert_stderr ""
	done
}

@test "a valid topology on standard input exits 0 and prints nothing" {
	run --separate-stderr topo-check < "$EXAMPLES/primary-replica.json"
	assert_status 0
	[ -z "$output" ]
}

@test "SHARDKIT_TOPOLOGY never overrides the topology piped in" {
	SHARDKIT_TOPOLOGY="$EXAMPLES/no-replication.json" run --separate-stderr topo-check <<< '{}'
	assert_status 3
}

@test "truncated topology is rejected with its line and column" {
	printf '{\n  "version": 1,\n  "mode": ' > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	assert_stderr "topo-check: t.json:3:10: unexpected token near end of file"
	[ -z "$output" ]
}

@test "empty input is rejected" {
	run --separate-stderr topo-check < /dev/null
	assert_status 3
	assert_stderr "topo-check: <stdin>:1:0: empty input: expected a JSON object"
}

@test "a JSON array at the top level is rejected" {
	run --separate-stderr topo-check <<< '[1, 2]'
	assert_status 3
	assert_stderr "topo-check: <stdin>:1:1: expected a JSON object at the top level"
}

@test "a duplicated key is rejected" {
	run --separate-stderr topo-check <<< '{"version": 1, "version": 2}'
	assert_status 3
	[[ "$stderr" == "topo-check: <stdin>:1:"*"duplicate object key near '\"version\"'" ]]
}

@test "a NUL byte in a string is rejected" {
	printf '{"version": 1, "mode": "primary-replica", "replication_factor": 1, "servers": [{"id": "a\\u0000b", "conninfo": "port=1"}]}' > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	[[ "$stderr" == *"\\u0000 is not allowed without JSON_ALLOW_NUL"* ]]
}

@test "wrong types and unknown fields are each listed with their JSON path" {
	jq '.version = "2" | .servers[1].weight = 3 | .shards[0].state = "gone"' \
		"$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	[ "${#stderr_lines[@]}" -eq 3 ]
	[ "${stderr_lines[0]}" = "topo-check: t.json: version: expected an integer, found a string" ]
	[ "${stderr_lines[1]}" = 'topo-check: t.json: shards[0].state: expected "active", "down", "creating" or "draining", found "gone"' ]
	[ "${stderr_lines[2]}" = "topo-check: t.json: servers[1].weight: unknown field" ]
}

@test "two primaries in one shard are an error naming both" {
	jq '.servers[1].role = "primary"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	assert_stderr 'topo-check: t.json: shards[0]: shard "s1" has 2 primaries ("pg1", "pg2"): expected one'
}

@test "a shard below its replication factor is a warning, an error with --strict" {
	jq '.servers[2].state = "down"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 0
	assert_stderr 'topo-check: t.json: shards[0]: warning: shard "s1" has 2 of the 3 active servers its replication factor requires'
	run --separate-stderr topo-check --strict -t t.json
	assert_status 3
	run --separate-stderr topo-check --quiet -t t.json
	assert_status 0
	assert_stderr ""
}

@test "two entries for one PostgreSQL server in a shard are an error" {
	jq '.servers[1].conninfo = "host=127.0.0.1 port=5501 dbname=app"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	assert_stderr 'topo-check: t.json: servers[1].conninfo: servers "pg1" and "pg2" are the same PostgreSQL server (127.0.0.1:5501): two copies of shard "s1" on one server'
}

@test "a password in a conninfo is rejected" {
	jq '.servers[0].conninfo = "host=127.0.0.1 port=1 password=hunter2"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	assert_stderr 'topo-check: t.json: servers[0].conninfo: a password is not allowed in a conninfo (use a passfile)'
	[[ "$stderr" != *hunter2* ]]
}

@test "duplicate tokens across shards are an error" {
	jq '.shards[0].tokens = ["00000000000000ff"] | .shards[1].tokens = ["00000000000000ff"]' \
		"$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	assert_stderr 'topo-check: t.json: shards[1].tokens: duplicate token "00000000000000ff" (also shards[0])'
}

@test "an unknown shard name is an error" {
	jq '.servers[0].shard = "s9"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	assert_stderr 'topo-check: t.json: servers[0].shard: unknown shard "s9"'
}

@test "--format json lists problems on standard output" {
	jq '.servers[2].state = "down" | .servers[0].role = "boss"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr topo-check --format json -t t.json
	assert_status 3
	[ "$(jq -r '.[0].path' <<< "$output")" = "servers[0].role" ]
	[ "$(jq -r '.[0].severity' <<< "$output")" = "error" ]
}

@test "--print writes the normalised document, which is stable" {
	run --separate-stderr topo-check --print -t "$EXAMPLES/primary-replica.json"
	assert_status 0
	echo "$output" > once.json
	run --separate-stderr topo-check --print -t once.json
	[ "$output" = "$(cat once.json)" ]
	[ "$(jq -r .format once.json)" = "shardkit-topology/1" ]
}

@test "a missing file is a failure, not bad input" {
	run --separate-stderr topo-check -t nonexistent.json
	assert_status 1
	assert_stderr 'topo-check: could not open "nonexistent.json": No such file or directory'
}

@test "an unknown option is a usage error" {
	run --separate-stderr topo-check --bogus
	assert_status 2
	[ "${stderr_lines[1]}" = 'Try "topo-check --help" for more information.' ]
}

@test "an unknown format is a usage error" {
	run --separate-stderr topo-check --format xml
	assert_status 2
	[ "${stderr_lines[0]}" = 'topo-check: invalid --format "xml": expected "text" or "json"' ]
}

@test "--help prints the usage and exits 0" {
	run --separate-stderr topo-check --help
	assert_status 0
	[[ "${lines[0]}" == "usage: topo-check "* ]]
}

@test "--version prints the version" {
	run --separate-stderr topo-check --version
	assert_status 0
	[ "$output" = "topo-check (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the manual's synopsis" {
	usage_matches_synopsis topo-check
}

@test "a name or address used three times is listed against each earlier use, in order" {
	jq -n '{version: 1, mode: "primary-replica", replication_factor: 1,
		servers: [
			{id: "a", conninfo: "host=127.0.0.1 port=1", role: "primary", shard: "s2"},
			{id: "b", conninfo: "host=127.0.0.1 port=2", role: "primary", shard: "s1"},
			{id: "a", conninfo: "port=1 host=127.0.0.1", role: "reserve"},
			{id: "a", conninfo: "host=127.0.0.1 port=1", role: "reserve"}],
		shards: [{id: "s1"}, {id: "s2"}, {id: "s1"}]}' > t.json
	run --separate-stderr topo-check -t t.json
	assert_status 3
	[ "$stderr" = 'topo-check: t.json: shards[2].id: duplicate shard id "s1" (also shards[0])
topo-check: t.json: servers[2].id: duplicate server id "a" (also servers[0])
topo-check: t.json: servers[3].id: duplicate server id "a" (also servers[0])
topo-check: t.json: servers[3].id: duplicate server id "a" (also servers[2])
topo-check: t.json: servers[2].conninfo: servers "a" and "a" are the same PostgreSQL server (127.0.0.1:1)
topo-check: t.json: servers[3].conninfo: servers "a" and "a" are the same PostgreSQL server (127.0.0.1:1)
topo-check: t.json: servers[3].conninfo: servers "a" and "a" are the same PostgreSQL server (127.0.0.1:1)
topo-check: t.json: shards[2]: warning: shard "s1" has 0 of the 1 active servers its replication factor requires' ]
}
