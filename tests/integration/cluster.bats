#!/usr/bin/env bats
# The foundation end to end on real servers: server-init provisions three
# servers, shard-plan forms shards of them, ring-place places them, ring-lookup
# routes keys to a conninfo a client really connects with, and health-probe
# sees them live, stopped, and with a role the topology gets wrong.

load helper

setup() {
	pg_workdir >/dev/null
	cd "$PG_WORKDIR" || return 1
	work=$PG_WORKDIR
	shardkit_config "probe_timeout = 2.0;"
	local i
	for i in 1 2 3; do
		server-init -D "$work/pg$i" -p "$(free_port)" --id "pg$i" --zone "z$i" > "$work/pg$i.json" || return 1
	done
	jq -s '{version: 1, mode: "primary-replica", replication_factor: 1, vnodes: 32,
	        tables: [{name: "public.accounts", key: "id"}], servers: .}' "$work"/pg?.json |
		shard-plan > "$work/plan.json" || return 1
	jq .topology "$work/plan.json" | ring-place > "$work/topology.json" || return 1
}

teardown() {
	pg_stop_all
}

@test "three provisioned servers form three shards whose topology is valid" {
	run --separate-stderr topo-check --strict -t topology.json
	assert_status 0
	[ "$(jq '.shards | length' topology.json)" -eq 3 ]
	[ "$(jq '[.servers[] | select(.role == "primary")] | length' topology.json)" -eq 3 ]
	[ "$(jq '[.shards[].tokens | length] | add' topology.json)" -eq 96 ]
}

@test "a routed key's conninfo reaches its shard's primary with the passfile" {
	conninfo=$(ring-lookup -t topology.json --field primary_conninfo alice)
	shard=$(ring-lookup -t topology.json --field shard alice)
	primary=$(jq -r --arg s "$shard" '.servers[] | select(.shard == $s and .role == "primary") | .id' topology.json)
	port=$(jq -r "$(printf '.servers[] | select(.id == "%s") | .conninfo' "$primary")" topology.json | sed 's/.*port=\([0-9]*\).*/\1/')
	run --separate-stderr env PGPASSFILE="$work/passfile" "$PG_BINDIR/psql" -X -A -t -d "$conninfo" \
		-c "SELECT current_setting('port'), current_setting('cluster_name')"
	assert_status 0
	[ "$output" = "$port|$primary" ]
}

@test "health-probe reports every provisioned server live and healthy" {
	run --separate-stderr health-probe -t topology.json
	assert_status 0
	[ "$(jq -r .summary.status <<< "$output")" = healthy ]
	[ "$(jq '[.servers[] | select(.reachable and .observed_role == "primary" and .matches_topology)] | length' <<< "$output")" -eq 3 ]
	[ "$(jq '[.servers[] | select(.timeline == 1 and .max_connections > 0)] | length' <<< "$output")" -eq 3 ]
}

@test "a stopped server is reported down with libpq's reason, exit 6" {
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/pg2" -m fast -w stop >/dev/null
	run --separate-stderr health-probe -t topology.json
	assert_status 6
	[ "$(jq -r '.servers[] | select(.id == "pg2") | .reachable' <<< "$output")" = false ]
	[[ "$(jq -r '.servers[] | select(.id == "pg2") | .error' <<< "$output")" == *"Connection refused"* ]]
	[ "$(jq -r .summary.status <<< "$output")" = down ]
}

@test "a server the topology calls a replica but is a primary is a mismatch, exit 7" {
	# pg3 moved into pg1's shard as a replica: it is really a primary.
	jq '(.servers[] | select(.id == "pg3")) |= (.role = "replica" | .shard = "s1")
	    | .shards |= map(select(.id != "s3"))' topology.json > wrong.json
	run --separate-stderr health-probe -t wrong.json
	assert_status 7
	[ "$(jq -r '.servers[] | select(.id == "pg3") | .matches_topology' <<< "$output")" = false ]
	[ "$(jq -r '.servers[] | select(.id == "pg3") | .expected_role' <<< "$output")" = replica ]
}

@test "a rerun of server-init on a provisioned server changes nothing" {
	before=$(cat pg1.json)
	port=$(jq -r .conninfo pg1.json | sed 's/.*port=\([0-9]*\).*/\1/')
	run --separate-stderr server-init -D "$work/pg1" -p "$port" --id pg1 --zone z1
	assert_status 0
	[ "$output" = "$before" ]
}
