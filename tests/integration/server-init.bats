#!/usr/bin/env bats
# server-init against real PostgreSQL 15: provisioning, SCRAM logins,
# replication settings, idempotent reruns, conflicts, restarts and wipes.
# As root the servers run as run_as (postgres); as another user, as that user.

load helper

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	pg_workdir >/dev/null   # in this shell, so teardown knows what to stop
	work=$(realpath "$PG_WORKDIR")
	passfile="$work/pgpass"
	conf="$work/shardkit.conf"
	# Test-only passwords, generated per run; never real secrets.
	admin_pw="admin-$RANDOM$RANDOM"
	repl_pw="repl-$RANDOM$RANDOM"
	printf '127.0.0.1:*:postgres:postgres:%s\n127.0.0.1:*:replication:shardkit_replication:%s\n' \
		"$admin_pw" "$repl_pw" > "$passfile"
	chmod 0600 "$passfile"
	printf 'credentials_file = "%s";\npg_bindir = "%s";\n' "$passfile" "$PG_BINDIR" > "$conf"
	chmod 0600 "$conf"
	export SHARDKIT_CONF="$conf"
	port_a=$(free_port)
	port_b=$(free_port)
	while [ "$port_b" = "$port_a" ]; do port_b=$(free_port); done
}

teardown() {
	pg_stop_all
}

# psql over TCP with a password file; extra arguments follow.
tcp_psql() {
	local port=$1 pass=$2
	shift 2
	PGPASSFILE=$pass "$PG_BINDIR/psql" -X -A -t -q -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

@test "two servers are provisioned and print their topology entries" {
	run --separate-stderr server-init -D "$work/a" -p "$port_a" --zone z1
	assert_status 0
	[ "$(jq -r .id <<<"$output")" = a ]
	[ "$(jq -r .conninfo <<<"$output")" = "host=127.0.0.1 port=$port_a dbname=postgres user=postgres" ]
	[ "$(jq -r .zone <<<"$output")" = z1 ]
	[ "$(jq -r .state <<<"$output")" = up ]
	[ "$(jq -r .data_directory <<<"$output")" = "$work/a" ]
	[ "$(jq -r 'has("role")' <<<"$output")" = false ]
	run --separate-stderr server-init -D "$work/b" -p "$port_b" --id s-b
	assert_status 0
	[ "$(jq -c '[.id, .zone, .state]' <<<"$output")" = '["s-b",null,"up"]' ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW cluster_name')" = a ]
	[ "$(tcp_psql "$port_b" "$passfile" -c 'SHOW cluster_name')" = s-b ]
}

@test "the entries form a topology that topo-check accepts" {
	command -v topo-check >/dev/null || skip "topo-check is not built"
	server-init -D "$work/a" -p "$port_a" --zone z1 > a.json
	server-init -D "$work/b" -p "$port_b" --zone z2 > b.json
	jq -s '{format: "shardkit-topology/1", version: 1, mode: "primary-replica",
		replication_factor: 1, servers: .}' a.json b.json > topology.json
	run --separate-stderr topo-check -t topology.json
	assert_status 0
}

@test "the superuser logs in over TCP with SCRAM and a wrong password fails" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SELECT 1')" = 1 ]
	printf '127.0.0.1:*:*:postgres:wrong-password\n' > "$work/wrong"
	chmod 0600 "$work/wrong"
	run --separate-stderr tcp_psql "$port_a" "$work/wrong" -c 'SELECT 1'
	assert_status 2
	[[ "$stderr" == *'password authentication failed for user "postgres"'* ]]
	# The stored password is a SCRAM verifier, not the password.
	[ "$(tcp_psql "$port_a" "$passfile" -c "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = 'postgres'")" = 'SCRAM-SHA-256$' ]
	run tcp_psql "$port_a" "$passfile" -c "SELECT count(*) FROM pg_authid WHERE rolpassword LIKE '%$admin_pw%'"
	[ "$output" = 0 ]
}

@test "the server has logical WAL, data checksums and a replication role" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW wal_level')" = logical ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW data_checksums')" = on ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW hot_standby')" = on ]
	# Standbys retry a lost upstream five times a second, not every five seconds (see server-init(1)).
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW wal_retrieve_retry_interval')" = 200ms ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW max_wal_senders')" -gt 0 ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW max_replication_slots')" -gt 0 ]
	[ "$(tcp_psql "$port_a" "$passfile" -c "SELECT rolreplication AND rolcanlogin FROM pg_roles WHERE rolname = 'shardkit_replication'")" = t ]
	# A physical replication connection authenticates with the role's password.
	run --separate-stderr env PGPASSFILE="$passfile" "$PG_BINDIR/psql" -X -A -t \
		"host=127.0.0.1 port=$port_a user=shardkit_replication dbname=replication replication=true" \
		-c IDENTIFY_SYSTEM
	assert_status 0
	[[ "$output" == *"|1|"* ]]
}

@test "the replication password comes from replication_password when set" {
	printf 'replication_password = "from-the-config-%s";\n' "$RANDOM" >> "$conf"
	sed -i '/replication/d' "$passfile"
	sed -n 's/replication_password = "\(.*\)";/127.0.0.1:*:replication:shardkit_replication:\1/p' "$conf" > "$work/repl"
	chmod 0600 "$work/repl"
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	run --separate-stderr env PGPASSFILE="$work/repl" "$PG_BINDIR/psql" -X -A -t \
		"host=127.0.0.1 port=$port_a user=shardkit_replication dbname=replication replication=true" \
		-c IDENTIFY_SYSTEM
	assert_status 0
}

@test "a rerun with the same settings prints the same entry" {
	run --separate-stderr server-init -D "$work/a" -p "$port_a" --zone z1
	assert_status 0
	first=$output
	run --separate-stderr server-init -D "$work/a/" -p "$port_a" --zone z1
	assert_status 0
	[ "$output" = "$first" ]
	assert_stderr ""
}

@test "a rerun with another port is refused with status 5 and changes nothing" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	run --separate-stderr server-init -D "$work/a" -p "$port_b"
	assert_status 5
	assert_stderr "server-init: data directory \"$work/a\" was provisioned with port $port_a, not $port_b
server-init: HINT: rerun with the settings it was provisioned with, or wipe it first: server-init --wipe -D \"$work/a\""
	[ -z "$output" ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW port')" = "$port_a" ]
}

@test "a rerun with another zone is refused with status 5" {
	server-init -D "$work/a" -p "$port_a" --zone z1 > /dev/null
	run --separate-stderr server-init -D "$work/a" -p "$port_a" --zone z2
	assert_status 5
	[ "${stderr_lines[0]}" = "server-init: data directory \"$work/a\" was provisioned with zone \"z1\", not \"z2\"" ]
}

@test "a stopped server is started by a rerun" {
	server-init -D "$work/a" -p "$port_a" > first.json
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/a" -m fast -w stop > /dev/null
	run tcp_psql "$port_a" "$passfile" -c 'SELECT 1'
	[ "$status" -ne 0 ]
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	[ "$output" = "$(cat first.json)" ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SELECT 1')" = 1 ]
}

@test "a rerun sets a changed password" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	sed -i "s/:$admin_pw\$/:changed-$admin_pw/" "$passfile"
	server-init -D "$work/a" -p "$port_a" > /dev/null
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SELECT 1')" = 1 ]
}

@test "--wipe stops the server and removes its data directory" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	server-init -D "$work/b" -p "$port_b" > /dev/null
	run --separate-stderr server-init --wipe -D "$work/a"
	assert_status 0
	[ -z "$output" ]
	[ ! -e "$work/a" ] && [ ! -e "$work/a.socket" ] && [ ! -e "$work/a.wipe.tmp" ]
	run tcp_psql "$port_a" "$passfile" -c 'SELECT 1'
	[ "$status" -ne 0 ]
	# The other server is untouched, and a wiped server can be provisioned again.
	[ "$(tcp_psql "$port_b" "$passfile" -c 'SELECT 1')" = 1 ]
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SELECT 1')" = 1 ]
}

@test "a port in use fails with status 1 and the server log's reason" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	run --separate-stderr server-init -D "$work/b" -p "$port_a"
	assert_status 1
	[ -z "$output" ]
	[[ "$stderr" == *"server-init: could not start the server in \"$work/b\""* ]]
	[[ "$stderr" == *"server-init: DETAIL: "*"Address already in use"* ]]
	# Once the port is free, a rerun with the same settings converges.
	server-init --wipe -D "$work/a"
	run --separate-stderr server-init -D "$work/b" -p "$port_a"
	assert_status 0
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW cluster_name')" = b ]
}

@test "an empty directory is provisioned in place" {
	mkdir "$work/a"
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW data_checksums')" = on ]
}

@test "leftovers of an interrupted provisioning are replaced by a rerun" {
	mkdir -p "$work/a.initdb.tmp/base" "$work/a.wipe.tmp"
	echo junk > "$work/a.initdb.tmp/PG_VERSION"
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	[ ! -e "$work/a.initdb.tmp" ] && [ ! -e "$work/a.wipe.tmp" ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW wal_level')" = logical ]
}

@test "a run killed half-way converges on a rerun" {
	# Its own process group, so initdb dies with it as on a Ctrl-C.
	setsid server-init -D "$work/a" -p "$port_a" > /dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 200); do
		[ -e "$work/a.initdb.tmp/base" ] || [ -e "$work/a" ] && break
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" || true
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	first=$output
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 0
	[ "$output" = "$first" ]
	[ ! -e "$work/a.initdb.tmp" ]
	[ "$(tcp_psql "$port_a" "$passfile" -c 'SHOW data_checksums')" = on ]
}

@test "the socket directory admits only the server's user" {
	server-init -D "$work/a" -p "$port_a" > /dev/null
	[ "$(stat -c %a "$work/a.socket")" = 700 ]
	[ -S "$work/a.socket/.s.PGSQL.$port_a" ]
	# A loosened mode is restricted again by a rerun.
	chmod 0755 "$work/a.socket"
	server-init -D "$work/a" -p "$port_a" > /dev/null
	[ "$(stat -c %a "$work/a.socket")" = 700 ]
}

@test "as root the server and its files belong to run_as" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	server-init -D "$work/new/a" -p "$port_a" > /dev/null
	[ "$(stat -c %U "$work/new")" = postgres ]
	[ "$(stat -c %U "$work/new/a")" = postgres ]
	[ "$(stat -c %U "$work/new/a/shardkit-server.conf")" = postgres ]
	[ "$(stat -c %U "$work/new/a.socket")" = postgres ]
	pid=$(head -n 1 "$work/new/a/postmaster.pid")
	[ "$(ps -o user= -p "$pid")" = postgres ]
	# pg_stop_all only looks one level down.
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$work/new/a" -m immediate -w stop > /dev/null
}

@test "no password for the superuser fails before anything is created" {
	sed -i '/:postgres:postgres:/d' "$passfile"
	run --separate-stderr server-init -D "$work/a" -p "$port_a"
	assert_status 4
	[ "${stderr_lines[0]}" = "server-init: no password for user \"postgres\" at 127.0.0.1:$port_a in password file \"$passfile\"" ]
	[ ! -e "$work/a" ] && [ ! -e "$work/a.initdb.tmp" ]
}
