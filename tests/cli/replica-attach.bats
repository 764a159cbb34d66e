#!/usr/bin/env bats
# replica-attach: options, topologies that cannot name a replica, and
# failures found before any server is touched.  Attaching real servers is
# in tests/integration/replica-attach.bats.

load helper

TRY='Try "replica-attach --help" for more information.'

# A shard s1 (pg1 primary at port 1, where nothing listens; pg2 and pg3
# replicas, pg4 a reserve) and a shard s2 with its primary pg5.  pg3 has no
# data_directory.
setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	cat > topology.json <<EOF
{
  "format": "shardkit-topology/1", "version": 1, "mode": "primary-replica",
  "replication_factor": 2, "tables": [],
  "servers": [
    { "id": "pg1", "conninfo": "host=127.0.0.1 port=1 user=postgres dbname=postgres",
      "zone": "a", "state": "up", "role": "primary", "shard": "s1", "data_directory": "$BATS_TEST_TMPDIR/pg1" },
    { "id": "pg2", "conninfo": "host=127.0.0.1 port=2 user=postgres dbname=postgres",
      "zone": "b", "state": "up", "role": "replica", "shard": "s1", "data_directory": "$BATS_TEST_TMPDIR/pg2" },
    { "id": "pg3", "conninfo": "host=127.0.0.1 port=3 user=postgres dbname=postgres",
      "zone": "c", "state": "up", "role": "replica", "shard": "s1" },
    { "id": "pg4", "conninfo": "host=127.0.0.1 port=4 user=postgres dbname=postgres",
      "zone": "a", "state": "up", "role": "reserve", "shard": "s1", "data_directory": "$BATS_TEST_TMPDIR/pg4" },
    { "id": "pg5", "conninfo": "host=127.0.0.1 port=5 user=postgres dbname=postgres",
      "zone": "b", "state": "up", "role": "primary", "shard": "s2", "data_directory": "$BATS_TEST_TMPDIR/pg5" }
  ],
  "shards": [ { "id": "s1", "state": "active" }, { "id": "s2", "state": "active" } ]
}
EOF
	: > sk.conf
	chmod 0600 sk.conf
	export SHARDKIT_CONF="$BATS_TEST_TMPDIR/sk.conf"
}

# A data directory whose settings record names server ID (no server runs).
fake_datadir() {
	mkdir -p "$1"
	printf '{"format": "shardkit-server/1", "id": "%s", "zone": "", "host": "127.0.0.1", "port": 2, "listen_address": "127.0.0.1", "user": "postgres", "replication_user": "shardkit_replication"}\n' \
		"$2" > "$1/shardkit-server.json"
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr replica-attach --help
	assert_status 0
	[ "${lines[0]}" = "usage: replica-attach [options] [-t FILE] SERVER" ]
	[[ "$output" == *"--sync-count=K"* ]]
	assert_stderr ""
}

@test "--version prints the program and the version" {
	run --separate-stderr replica-attach --version
	assert_status 0
	[ "$output" = "replica-attach (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the man page's synopsis" {
	usage_matches_synopsis replica-attach
}

@test "a missing server id is a usage error" {
	run --separate-stderr replica-attach -t topology.json
	assert_status 2
	assert_stderr "replica-attach: a server id is required
$TRY"
	[ -z "$output" ]
}

@test "a second argument is a usage error" {
	run --separate-stderr replica-attach -t topology.json pg2 pg3
	assert_status 2
	assert_stderr "replica-attach: unexpected argument \"pg3\"
$TRY"
}

@test "an unknown option is a usage error" {
	run --separate-stderr replica-attach --bogus pg2
	assert_status 2
	assert_stderr "replica-attach: unrecognized option '--bogus'
$TRY"
}

@test "a server id that is not an identifier is a usage error" {
	run --separate-stderr replica-attach -t topology.json 'pg 2'
	assert_status 2
	assert_stderr "replica-attach: invalid server id \"pg 2\"
$TRY"
}

@test "--sync-count outside 1 to 64 is a usage error" {
	for k in 0 65 x -1; do
		run --separate-stderr replica-attach -t topology.json --sync-count "$k" pg2
		assert_status 2
		assert_stderr "replica-attach: invalid --sync-count \"$k\": expected an integer from 1 to 64
$TRY"
	done
}

@test "a timeout that is not a positive number is a usage error" {
	run --separate-stderr replica-attach -t topology.json --timeout 0 pg2
	assert_status 2
	assert_stderr "replica-attach: invalid --timeout \"0\": expected a number of seconds greater than 0 and at most 86400
$TRY"
}

@test "an unknown server exits 3" {
	run --separate-stderr replica-attach -t topology.json nope
	assert_status 3
	assert_stderr 'replica-attach: unknown server "nope"'
	[ -z "$output" ]
}

@test "a server without a data_directory exits 3" {
	run --separate-stderr replica-attach -t topology.json pg3
	assert_status 3
	assert_stderr 'replica-attach: server "pg3" has no data_directory in the topology
replica-attach: HINT: provision it with server-init and add the data_directory of its entry'
}

@test "a primary is never attached, exit 3" {
	run --separate-stderr replica-attach -t topology.json pg1
	assert_status 3
	assert_stderr 'replica-attach: server "pg1" has role primary: only a replica or a reserve is attached'
}

@test "an unknown --primary exits 3" {
	run --separate-stderr replica-attach -t topology.json --primary pg9 pg2
	assert_status 3
	assert_stderr 'replica-attach: unknown primary "pg9"'
}

@test "a --primary in another shard, a reserve, or the server itself exits 3" {
	run --separate-stderr replica-attach -t topology.json --primary pg5 pg2
	assert_status 3
	assert_stderr 'replica-attach: server "pg2" cannot stream from "pg5": it is in another shard'
	run --separate-stderr replica-attach -t topology.json --primary pg4 pg2
	assert_status 3
	assert_stderr 'replica-attach: server "pg2" cannot stream from "pg4": a reserve is never a primary'
	run --separate-stderr replica-attach -t topology.json --primary pg2 pg2
	assert_status 3
	assert_stderr 'replica-attach: server "pg2" cannot stream from "pg2": it is the same server'
}

@test "a shard without a primary is an invalid topology, exit 3" {
	jq '(.servers[] | select(.id == "pg1")).role = "replica"' topology.json > noprimary.json
	run --separate-stderr replica-attach -t noprimary.json pg2
	assert_status 3
	assert_stderr 'replica-attach: noprimary.json: shards[0]: shard "s1" has replicas but no primary'
}

@test "the topology comes from \$SHARDKIT_TOPOLOGY without -t" {
	SHARDKIT_TOPOLOGY="$BATS_TEST_TMPDIR/topology.json" run --separate-stderr replica-attach nope
	assert_status 3
	assert_stderr 'replica-attach: unknown server "nope"'
}

@test "a malformed topology exits 3 with its line and column" {
	printf '{"version": 1,\n' > bad.json
	run --separate-stderr replica-attach -t bad.json pg2
	assert_status 3
	[[ "${stderr_lines[0]}" == "replica-attach: bad.json:2:"* ]]
	[ -z "$output" ]
}

@test "a missing topology file exits 1" {
	run --separate-stderr replica-attach -t missing.json pg2
	assert_status 1
	[[ "${stderr_lines[0]}" == "replica-attach: "*"missing.json"* ]]
}

@test "a data directory not provisioned by server-init exits 1 with a hint" {
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 1
	assert_stderr "replica-attach: could not open \"$BATS_TEST_TMPDIR/pg2/shardkit-server.json\": No such file or directory
replica-attach: HINT: provision server \"pg2\" with server-init first"
}

@test "a data directory of another server exits 5" {
	fake_datadir pg2 pg7
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 5
	assert_stderr "replica-attach: data directory \"$BATS_TEST_TMPDIR/pg2\" belongs to server \"pg7\", not \"pg2\""
}

@test "no replication password exits 4 and names the line to add" {
	fake_datadir pg2 pg2
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 4
	assert_stderr "replica-attach: no password for replication user \"shardkit_replication\" at 127.0.0.1:1: neither replication_password nor credentials_file in $BATS_TEST_TMPDIR/sk.conf has one
replica-attach: HINT: add a line \"127.0.0.1:1:replication:shardkit_replication:PASSWORD\" to the password file named by credentials_file (mode 0600)"
}

@test "a primary that cannot be reached exits 6" {
	fake_datadir pg2 pg2
	printf '127.0.0.1:*:*:*:not-a-real-secret\n' > pgpass
	chmod 0600 pgpass
	printf 'credentials_file = "%s/pgpass";\n' "$BATS_TEST_TMPDIR" > sk.conf
	run --separate-stderr replica-attach -t topology.json pg2
	assert_status 6
	assert_stderr 'replica-attach: could not connect to "pg1": connection to server at "127.0.0.1", port 1 failed: Connection refused'
	[ -z "$output" ]
	# Nothing of the replica was touched.
	[ "$(ls pg2)" = shardkit-server.json ]
}
