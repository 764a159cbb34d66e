#!/usr/bin/env bats
# ring-lookup: routing keys to shards and servers from the command line.
#
# Fixture rings (tests/cli/fixtures/ring-*.json) use tokens at 0x40.., 0x80..,
# 0xc0.., 0xe0.. (and 0xf0..), and these keys, whose XXH3-64 hashes (seed 0)
# fall in known ranges:
#   7 -> 06eed105b82285fa   1 -> 65cd25028f98f158   21 -> 8ac2b1054e7ac49b
#   10 -> d0698444ed39c832  4 -> e28911027fcf803f

load helper

FIXTURES="$BATS_TEST_DIRNAME/fixtures"

@test "a key given as an argument gets its shard, state and servers as one JSON line" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" 1
	assert_status 0
	assert_stderr ""
	[ "$output" = '{"key":"1","hash":"65cd25028f98f158","shard":"s2","state":"active","primary":{"id":"pg4","conninfo":"host=127.0.0.1 port=5504 dbname=app"},"replicas":[{"id":"pg5","conninfo":"host=127.0.0.1 port=5505 dbname=app"}],"reserves":[]}' ]
}

@test "reserves of the shard are listed beside its replicas" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --format json --field reserves 7
	assert_status 0
	[ "$output" = '[{"id":"pg3","conninfo":"host=127.0.0.1 port=5503 dbname=app"}]' ]
}

@test "keys on standard input give one record each, in order, across the wrap-around" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field shard <<-EOF
	7
	1
	21
	10
	4
	EOF
	assert_status 0
	[ "$output" = "$(printf 's1\ns2\ns1\ns2\ns1')" ]
}

@test "every key of a file is routed and valid JSON comes out" {
	seq 1000 > keys.txt
	run --separate-stderr bash -c "ring-lookup -t '$FIXTURES/ring-placed.json' < keys.txt | jq -r .shard | sort | uniq -c | wc -l"
	assert_status 0
	[ "$output" -eq 2 ]
	[ "$(ring-lookup -t "$FIXTURES/ring-placed.json" < keys.txt | wc -l)" -eq 1000 ]
}

@test "tsv format writes the fields tab-separated with lists as ids" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --format tsv 7
	assert_status 0
	[ "$output" = "$(printf '7\t06eed105b82285fa\ts1\tactive\tpg1\thost=127.0.0.1 port=5501 dbname=app\tpg2\tpg3')" ]
}

@test "tsv format escapes tabs and backslashes in keys" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --format tsv --field key $'a\tb\\c'
	assert_status 0
	[ "$output" = 'a\tb\\c' ]
}

@test "--field primary_conninfo prints the bare conninfo for a shell" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field primary_conninfo 1
	assert_status 0
	[ "$output" = "host=127.0.0.1 port=5504 dbname=app" ]
}

@test "--format json with --field prints the field's JSON value" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --format json --field primary 1
	assert_status 0
	[ "$output" = '{"id":"pg4","conninfo":"host=127.0.0.1 port=5504 dbname=app"}' ]
}

@test "CRLF line ends give the same keys as LF line ends" {
	printf '7\r\n1\r\n' > crlf.txt
	printf '7\n1' > lf.txt
	[ "$(ring-lookup -t "$FIXTURES/ring-placed.json" < crlf.txt)" = \
	  "$(ring-lookup -t "$FIXTURES/ring-placed.json" < lf.txt)" ]
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field key < crlf.txt
	[ "$output" = "$(printf '7\n1')" ]
}

@test "an empty line is the empty key" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field hash <<< ""
	assert_status 0
	[ "$output" = "2d06800538d394c2" ]
}

@test "no input on standard input writes nothing and succeeds" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" < /dev/null
	assert_status 0
	[ -z "$output" ]
}

@test "no-replication: a down shard's keys go to the next shard up, past a creating one" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-no-replication.json" --field shard 7 1 21 10 4
	assert_status 0
	[ "$output" = "$(printf 's1\ns4\ns4\ns4\ns1')" ]
}

@test "primary-replica: a down shard still owns its keys and its state is shown" {
	jq '.shards[1].state = "down"' "$FIXTURES/ring-placed.json" > down.json
	run --separate-stderr ring-lookup -t down.json --format tsv 1
	assert_status 0
	[ "$(cut -f 3,4 <<< "$output")" = "$(printf 's2\tdown')" ]
}

@test "a creating shard is not routed to: its keys stay with the next shard" {
	jq '.shards[1].state = "creating"' "$FIXTURES/ring-placed.json" > creating.json
	run --separate-stderr ring-lookup -t creating.json --field shard 1 10
	assert_status 0
	[ "$output" = "$(printf 's1\ns1')" ]
}

@test "multi-master: the preference list prefers new zones and skips down servers" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-multi-master.json" --field servers 7 1 10
	assert_status 0
	[ "$output" = "$(printf 'A,C,E\nB,C,E\nE,A,C')" ]
}

@test "multi-master JSON records carry the servers with their conninfo" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-multi-master.json" 7
	assert_status 0
	[ "$output" = '{"key":"7","hash":"06eed105b82285fa","servers":[{"id":"A","conninfo":"host=127.0.0.1 port=5521"},{"id":"C","conninfo":"host=127.0.0.1 port=5523"},{"id":"E","conninfo":"host=127.0.0.1 port=5525"}]}' ]
}

@test "SHARDKIT_TOPOLOGY names the topology when -t is absent" {
	SHARDKIT_TOPOLOGY="$FIXTURES/ring-placed.json" run --separate-stderr ring-lookup --field shard 1
	assert_status 0
	[ "$output" = "s2" ]
}

@test "the topology may come from standard input when the keys are arguments" {
	run --separate-stderr ring-lookup -t - --field shard 1 < "$FIXTURES/ring-placed.json"
	assert_status 0
	[ "$output" = "s2" ]
}

@test "without -t or SHARDKIT_TOPOLOGY it is a usage error" {
	run --separate-stderr ring-lookup 1
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: no topology: use -t FILE or set SHARDKIT_TOPOLOGY' 'Try "ring-lookup --help" for more information.')"
	[ -z "$output" ]
}

@test "a topology on standard input with keys on standard input is a usage error" {
	run --separate-stderr ring-lookup -t - < "$FIXTURES/ring-placed.json"
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: the topology is read from standard input, so keys must be arguments' 'Try "ring-lookup --help" for more information.')"
}

@test "an unknown format is a usage error" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --format xml 1
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: invalid --format "xml": expected "json" or "tsv"' 'Try "ring-lookup --help" for more information.')"
}

@test "an unknown field is a usage error listing the fields" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field owner 1
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: invalid --field "owner": expected one of key, hash, shard, state, primary, primary_conninfo, replicas, reserves, servers' 'Try "ring-lookup --help" for more information.')"
}

@test "a field the mode does not have is a usage error" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-multi-master.json" --field shard 1
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: --field shard is not available in multi-master mode' 'Try "ring-lookup --help" for more information.')"
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field servers 1
	assert_status 2
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: --field servers is not available in primary-replica mode' 'Try "ring-lookup --help" for more information.')"
}

@test "an unknown option is a usage error" {
	run --separate-stderr ring-lookup --bogus
	assert_status 2
	assert_stderr "$(printf '%s\n%s' "ring-lookup: unrecognized option '--bogus'" 'Try "ring-lookup --help" for more information.')"
}

@test "an empty ring is an error with a hint to run ring-place" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-unplaced.json" 1
	assert_status 3
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: ring is empty: no routable shard has tokens' 'ring-lookup: HINT: give the shards tokens with ring-place, e.g. "ring-place -t FILE > placed.json"')"
	[ -z "$output" ]
}

@test "a ring whose shards are all down cannot route" {
	jq '.shards[].state = "down"' "$FIXTURES/ring-no-replication.json" > down.json
	run --separate-stderr ring-lookup -t down.json 1
	assert_status 6
	assert_stderr "ring-lookup: no shard to route to: every shard on the ring is down"
	[ -z "$output" ]
}

@test "a key with a NUL byte stops the stream at its line after earlier records" {
	printf '7\n1\0x\n21\n' > keys.txt
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field shard < keys.txt
	assert_status 3
	assert_stderr "ring-lookup: <stdin>:2: key contains a NUL byte"
	[ "$output" = "s1" ]
}

@test "a key longer than 65536 bytes is rejected with its line" {
	{ echo 7; head -c 65537 /dev/zero | tr '\0' k; echo; } > keys.txt
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field shard < keys.txt
	assert_status 3
	assert_stderr "ring-lookup: <stdin>:2: key longer than 65536 bytes"
	[ "$output" = "s1" ]
}

@test "a key of exactly 65536 bytes is accepted" {
	{ head -c 65536 /dev/zero | tr '\0' k; echo; } > keys.txt
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --field shard < keys.txt
	assert_status 0
	[ "${#output}" -eq 2 ]
}

@test "a key that is not UTF-8 is refused in JSON with a hint, and written in tsv" {
	printf '7\n\377\n' > keys.txt
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" < keys.txt
	assert_status 3
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: <stdin>:2: key is not valid UTF-8, which JSON cannot hold' 'ring-lookup: HINT: --format tsv writes keys byte for byte')"
	[ "$(wc -l <<< "$output")" -eq 1 ]
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" --format tsv --field shard < keys.txt
	assert_status 0
	[ "$output" = "$(printf 's1\ns2')" ]
}

@test "a non-UTF-8 argument is named by its position" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" 7 $'\xff'
	assert_status 3
	assert_stderr "$(printf '%s\n%s' 'ring-lookup: argument 2: key is not valid UTF-8, which JSON cannot hold' 'ring-lookup: HINT: --format tsv writes keys byte for byte')"
}

@test "a truncated topology is rejected with its line and column" {
	printf '{\n  "version": 1,\n  "mode": ' > t.json
	run --separate-stderr ring-lookup -t t.json 1
	assert_status 3
	assert_stderr "ring-lookup: t.json:3:10: unexpected token near end of file"
	[ -z "$output" ]
}

@test "an invalid topology is rejected with the JSON path of the problem" {
	jq '.shards[1].tokens[0] = "4000000000000000"' "$FIXTURES/ring-placed.json" > dup.json
	run --separate-stderr ring-lookup -t dup.json 1
	assert_status 3
	[[ "$stderr" == "ring-lookup: dup.json: shards[1].tokens"* ]]
	[ -z "$output" ]
}

@test "a missing topology file is a read failure" {
	run --separate-stderr ring-lookup -t missing.json 1
	assert_status 1
	assert_stderr 'ring-lookup: could not open "missing.json": No such file or directory'
}

@test "standard input that cannot be read is a read failure" {
	run --separate-stderr ring-lookup -t "$FIXTURES/ring-placed.json" < /
	assert_status 1
	assert_stderr "ring-lookup: could not read standard input: Is a directory"
}

@test "a full disk is reported instead of silently losing records" {
	run --separate-stderr bash -c "seq 100000 | ring-lookup -t '$FIXTURES/ring-placed.json' > /dev/full"
	assert_status 1
	assert_stderr "ring-lookup: could not write to standard output: No space left on device"
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr ring-lookup --help
	assert_status 0
	[ "${lines[0]}" = "usage: ring-lookup [--field name] [--format json|tsv] [-t file] [key ...]" ]
}

@test "--version prints the program and version" {
	run --separate-stderr ring-lookup --version
	assert_status 0
	[ "$output" = "ring-lookup (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the man page synopsis" {
	usage_matches_synopsis ring-lookup
}

@test "the man page examples run" {
	cp "$FIXTURES/ring-placed.json" placed.json
	ring-place < "$EXAMPLES/primary-replica.json" > placed.json
	run --separate-stderr ring-lookup -t placed.json 42 1001
	assert_status 0
	[ "${#lines[@]}" -eq 2 ]
	run --separate-stderr bash -c "seq 1000000 | ring-lookup -t placed.json --field shard | sort | uniq -c | awk '{ n += \$1 } END { print n, NR }'"
	assert_status 0
	[ "$output" = "1000000 2" ]
	run --separate-stderr ring-lookup -t placed.json --field primary_conninfo 42
	[[ "$output" == host=127.0.0.1\ port=* ]]
	seq 10 > accounts.txt
	run --separate-stderr bash -c "export SHARDKIT_TOPOLOGY=placed.json; ring-lookup --format tsv < accounts.txt | cut -f 1,3"
	assert_status 0
	[ "${#lines[@]}" -eq 10 ]
	[[ "${lines[0]}" == 1$'\t's[12] ]]
	ring-place < "$EXAMPLES/multi-master.json" > mm.json
	run --separate-stderr ring-lookup -t mm.json --field servers user:17
	assert_status 0
	[[ "$output" =~ ^[A-D],[A-D],[A-D]$ ]]
}
