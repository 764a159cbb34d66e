#!/usr/bin/env bats
# The example client on real servers: shardkit-writer writes keyed rows to
# two shards through the ring, shardkit-verify finds every acknowledged one
# where the ring says; a shard's primary moved to another server while the
# writer runs (fence the old one, copy its rows, publish the new topology)
# is followed without an error; a primary stopped for good makes the writer
# retry until --retry-for and exit 6, having lost no acknowledged write;
# one that stops answering (SIGSTOP) leaves the write in flight unknown.

load helper

setup() {
	pg_workdir >/dev/null
	cd "$PG_WORKDIR" || return 1
	work=$PG_WORKDIR
	PATH="$SHARDKIT_BUILD/examples:$PATH"
	shardkit_config "connect_timeout = 2.0;"
	local i
	for i in 1 2 3; do
		server-init -D "$work/pg$i" -p "$(free_port)" --id "pg$i" --zone "z$i" > "$work/pg$i.json" || return 1
	done
	# Two shards of one server each; pg3 is provisioned but not in the cluster.
	jq -s '{version: 1, mode: "primary-replica", replication_factor: 1, vnodes: 32,
	        tables: [{name: "public.ledger_test", key: "id"}], servers: .}' "$work"/pg1.json "$work"/pg2.json |
		shard-plan > "$work/plan.json" || return 1
	jq .topology "$work/plan.json" | ring-place > "$work/topology.json" || return 1
	moved_shard=$(jq -r '.servers[] | select(.id == "pg2") | .shard' "$work/topology.json")
}

teardown() {
	[ -z "${writer_pid:-}" ] || kill "$writer_pid" 2>/dev/null || true
	pg_stop_all
}

# psql on server ID (of pgN.json) as the superuser, with the passfile.
server_psql() {
	local id=$1
	shift
	PGPASSFILE="$work/passfile" "$PG_BINDIR/psql" -X -A -t -q -v ON_ERROR_STOP=1 \
		-d "$(jq -r .conninfo "$work/$id.json")" "$@"
}

rows_on() {
	server_psql "$1" -c "SELECT count(*) FROM public.ledger_test"
}

# Wait (bounded, never asserted on time) until COMMAND succeeds.
wait_for() {
	local tries=0
	until "$@"; do
		tries=$((tries + 1))
		[ $tries -lt 600 ] || { echo "gave up waiting for: $*" >&2; return 1; }
		sleep 0.1
	done
}

ledger_has_shard_rows() {
	[ "$(awk -F '\t' -v s="$2" '$3 == s' ledger.txt 2>/dev/null | wc -l)" -ge "$1" ]
}

pg3_has_more_than() {
	[ "$(rows_on pg3)" -gt "$1" ]
}

start_writer() {
	shardkit-writer -t topology.json --table public.ledger_test --key-column id \
		--ledger ledger.txt "$@" > summary.json 2> writer.err &
	writer_pid=$!
}

@test "the writer's acknowledged rows are all found by the verifier on their shards" {
	run --separate-stderr shardkit-writer -t topology.json --table public.ledger_test \
		--key-column id --count 300 --ledger ledger.txt
	assert_status 0
	[ "$(jq .acknowledged <<< "$output")" -eq 300 ]
	[ "$(jq .unknown <<< "$output")" -eq 0 ]
	[ "$(jq .gave_up <<< "$output")" = null ]
	[ "$(wc -l < ledger.txt)" -eq 300 ]
	[ "$(cut -f1 ledger.txt | sort -u | wc -l)" -eq 300 ]
	# The ring spread them: both servers hold some, together all of them.
	[ "$(rows_on pg1)" -gt 0 ]
	[ "$(rows_on pg2)" -gt 0 ]
	[ $(( $(rows_on pg1) + $(rows_on pg2) )) -eq 300 ]
	# Each server holds exactly the rows its ledger lines name it for.
	[ "$(rows_on pg2)" -eq "$(awk -F '\t' -v s="$moved_shard" '$3 == s && $4 == "pg2"' ledger.txt | wc -l)" ]
	[ "$(rows_on pg1)" -eq "$(awk -F '\t' '$4 == "pg1"' ledger.txt | wc -l)" ]
	run --separate-stderr shardkit-verify -t topology.json --table public.ledger_test \
		--key-column id ledger.txt
	assert_status 0
	[ "$output" = '{"checked": 300, "missing": 0, "missing_keys": []}' ] ||
		[ "$(jq -c . <<< "$output")" = '{"checked":300,"missing":0,"missing_keys":[]}' ]
}

@test "the verifier counts a deleted row as missing, exit 7" {
	shardkit-writer -t topology.json --table public.ledger_test --key-column id \
		--count 50 --ledger ledger.txt > /dev/null
	key=$(awk -F '\t' -v s="$moved_shard" '$3 == s { print $1; exit }' ledger.txt)
	server_psql pg2 -c "DELETE FROM public.ledger_test WHERE id = '$key'"
	run --separate-stderr shardkit-verify -t topology.json --table public.ledger_test \
		--key-column id ledger.txt
	assert_status 7
	[ "$(jq -c '[.checked, .missing, .missing_keys]' <<< "$output")" = "[50,1,[\"$key\"]]" ]
}

@test "a primary moved to another server while the writer runs is followed without an error" {
	start_writer --duration 300
	wait_for ledger_has_shard_rows 20 "$moved_shard"

	# Fence the old primary: new sessions are read-only, and the writer's
	# sessions that are not (in-flight writes) are ended before the copy.
	server_psql pg2 -c "ALTER SYSTEM SET default_transaction_read_only = on" -c "SELECT pg_reload_conf()"
	read_only() { [ "$(server_psql pg2 -c 'SHOW default_transaction_read_only')" = on ]; }
	wait_for read_only
	server_psql pg2 -c "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity
		WHERE application_name = 'shardkit-writer'" > /dev/null
	# Copy what the old primary holds, then publish pg3 as the shard's primary.
	PGPASSFILE="$work/passfile" "$PG_BINDIR/pg_dump" -d "$(jq -r .conninfo pg2.json)" \
		-t public.ledger_test | server_psql pg3 > /dev/null
	copied=$(rows_on pg3)
	[ "$copied" -gt 0 ]
	cp topology.json old-topology.json
	jq --arg s "$moved_shard" --slurpfile pg3 pg3.json '
		.version += 1
		| .servers |= map(if .id == "pg2" then (.role = "none" | del(.shard)) else . end)
		| .servers += [$pg3[0] + {role: "primary", shard: $s}]' topology.json > topology.json.tmp
	mv topology.json.tmp topology.json
	run topo-check -t topology.json
	assert_status 0

	# The writer carries on: rows for the moved shard now land on pg3.
	wait_for pg3_has_more_than $((copied + 20))
	kill -TERM "$writer_pid"
	status=0
	wait "$writer_pid" || status=$?
	writer_pid=
	cat writer.err >&2
	[ "$status" -eq 0 ]
	[ "$(jq .gave_up summary.json)" = null ]
	[ "$(jq .topology_reloads summary.json)" -ge 1 ]
	[ "$(jq .acknowledged summary.json)" -eq "$(wc -l < ledger.txt)" ]
	# The ledger names pg3 for the writes after the move, all of them there.
	on_pg3=$(awk -F '\t' '$4 == "pg3"' ledger.txt | wc -l)
	[ "$on_pg3" -ge 20 ]
	[ $((copied + on_pg3)) -le "$(rows_on pg3)" ]
	# The old primary refused writes once fenced: nothing acknowledged after the copy is there.
	[ "$(rows_on pg2)" -le "$copied" ]

	run --separate-stderr shardkit-verify -t topology.json --table public.ledger_test \
		--key-column id ledger.txt
	assert_status 0
	[ "$(jq .missing <<< "$output")" -eq 0 ]
	[ "$(jq .checked <<< "$output")" -eq "$(wc -l < ledger.txt)" ]
	# Against the old topology the rows written after the move are missing.
	run --separate-stderr shardkit-verify -t old-topology.json --table public.ledger_test \
		--key-column id ledger.txt
	assert_status 7
	[ "$(jq .missing <<< "$output")" -ge 20 ]
}

@test "a primary stopped for good makes the writer give up after --retry-for with exit 6" {
	start_writer --duration 300 --retry-for 2
	wait_for ledger_has_shard_rows 20 "$moved_shard"
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -m immediate -w stop > /dev/null
	status=0
	wait "$writer_pid" || status=$?
	writer_pid=
	[ "$status" -eq 6 ]
	[ "$(jq -r .gave_up.shard summary.json)" = "$moved_shard" ]
	[[ "$(jq -r .gave_up.error summary.json)" == *'could not connect to "pg2"'* ]]
	[ "$(jq .unknown summary.json)" -eq "$(jq '.unknown_keys | length' summary.json)" ]
	[ "$(jq .acknowledged summary.json)" -eq "$(wc -l < ledger.txt)" ]
	grep -q "^shardkit-writer: write of \"$(jq -r .gave_up.key summary.json)\" failed: " writer.err
	# No acknowledged write was lost: the server comes back with every one.
	server-init -D "$work/pg2" -p "$(jq -r .conninfo pg2.json | sed 's/.*port=\([0-9]*\).*/\1/')" \
		--id pg2 --zone z2 > /dev/null
	run --separate-stderr shardkit-verify -t topology.json --table public.ledger_test \
		--key-column id ledger.txt
	assert_status 0
	[ "$(jq .missing <<< "$output")" -eq 0 ]
	# The unknown writes are not in the ledger.
	for key in $(jq -r '.unknown_keys[]' summary.json); do
		! grep -q "^$key	" ledger.txt
	done
}

@test "a primary that stops answering makes the write unknown after --timeout, then exit 6" {
	start_writer --duration 300 --retry-for 1 --timeout 1
	wait_for ledger_has_shard_rows 20 "$moved_shard"
	pid=$(head -n 1 "$work/pg2/postmaster.pid")
	# The postmaster and its backends: the writer's session is one of them.
	kill -STOP "$pid"
	pkill -STOP -P "$pid"
	status=0
	wait "$writer_pid" || status=$?
	writer_pid=
	[ "$status" -eq 6 ]
	[ "$(jq -r .gave_up.shard summary.json)" = "$moved_shard" ]
	# The write in flight when it stopped was abandoned as unknown, not acknowledged.
	[ "$(jq .unknown summary.json)" -ge 1 ]
	grep -q '^shardkit-writer: warning: write of "[^"]*" unknown: shard "'"$moved_shard"'": no answer within 1 s$' writer.err
	[ "$(jq .acknowledged summary.json)" -eq "$(wc -l < ledger.txt)" ]
}
