# helper.bash -- real PostgreSQL 15 servers for the integration tests.
#
# pg_start NAME starts a throw-away server on a free loopback port, with its
# data directory and socket under a private temporary directory, and records
# it so pg_stop_all (called from teardown, even when a test failed) stops it.
# PostgreSQL refuses to run as root: when the tests run as root the servers
# run as the unprivileged "postgres" user (override with SHARDKIT_TEST_PGUSER).

bats_require_minimum_version 1.5.0
load ../lib/assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
EXAMPLES="$TOP/examples"
: "${SHARDKIT_BUILD:=$TOP/build}"
PATH="$SHARDKIT_BUILD/bin:$PATH"
export PATH
unset SHARDKIT_CONF SHARDKIT_TOPOLOGY
: "${PG_BINDIR:=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || dirname "$(command -v pg_ctl)")}"
export PG_BINDIR

# Run a command as the user PostgreSQL servers run as.
as_pg_user() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "${SHARDKIT_TEST_PGUSER:-postgres}" -- "$@"
	else
		"$@"
	fi
}

# A private directory the server user can use (bats' own is root-only).
# Each one created is also recorded in a file, so pg_stop_all finds it even
# when pg_workdir first ran in a $(...) subshell, whose PG_WORKDIR is lost.
pg_workdir() {
	if [ -z "${PG_WORKDIR:-}" ]; then
		PG_WORKDIR=$(mktemp -d /tmp/shardkit-test.XXXXXX)
		chmod 0755 "$PG_WORKDIR"
		if [ "$(id -u)" -eq 0 ]; then
			chown "${SHARDKIT_TEST_PGUSER:-postgres}" "$PG_WORKDIR"
		fi
		echo "$PG_WORKDIR" >>"${BATS_TEST_TMPDIR:-/tmp}/.pg_workdirs"
		export PG_WORKDIR
	fi
	echo "$PG_WORKDIR"
}

# A loopback TCP port nothing listens on now.  Random start so concurrent
# runs rarely race for the same port.
free_port() {
	local port tries=0
	while [ $tries -lt 200 ]; do
		port=$(( 20000 + (RANDOM * 7 + tries * 13) % 40000 ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
			if ! grep -q ":$(printf '%04X' "$port") " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
				echo "$port"
				return 0
			fi
		fi
		tries=$((tries + 1))
	done
	return 1
}

# pg_start NAME: initdb + start; sets PORT_<NAME> and DATA_<NAME>.
pg_start() {
	local name=$1 dir port
	# In this shell, not a $(...) subshell, so PG_WORKDIR sticks for the test.
	pg_workdir >/dev/null
	dir="$PG_WORKDIR/$name"
	port=$(free_port) || return 1
	as_pg_user "$PG_BINDIR/initdb" -D "$dir" -U postgres --auth=trust \
		--no-sync -E UTF8 --locale=C >"$(pg_workdir)/$name.initdb.log" 2>&1 || {
		cat "$(pg_workdir)/$name.initdb.log" >&2
		return 1
	}
	pg_start_existing "$name" "$port"
}

# pg_start_existing NAME PORT: start an already initialised data directory.
pg_start_existing() {
	local name=$1 port=$2 dir
	dir="$(pg_workdir)/$name"
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -w -t 60 -l "$(pg_workdir)/$name.log" \
		-o "-p $port -k $(pg_workdir) -c listen_addresses=127.0.0.1 -c fsync=off" \
		start >/dev/null || {
		cat "$(pg_workdir)/$name.log" >&2
		return 1
	}
	echo "$dir" >>"$(pg_workdir)/started"
	eval "PORT_$name=$port DATA_$name=$dir"
}

pg_stop() {
	local dir="$(pg_workdir)/$1"
	as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
}

# Stop every server this test started: under every work directory it
# created, any data directory with a postmaster.pid, then remove them.
pg_stop_all() {
	local work dir pid
	for work in ${PG_WORKDIR:-} $(cat "${BATS_TEST_TMPDIR:-/tmp}/.pg_workdirs" 2>/dev/null); do
		[ -d "$work" ] || continue
		for dir in $(cat "$work/started" 2>/dev/null) $(ls -d "$work"/*/ 2>/dev/null); do
			[ -f "$dir/postmaster.pid" ] || continue
			# A server stopped with SIGSTOP by a test must be continued to die.
			pid=$(head -n 1 "$dir/postmaster.pid")
			kill -CONT "$pid" 2>/dev/null && pkill -CONT -P "$pid" 2>/dev/null
			as_pg_user "$PG_BINDIR/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
		done
		rm -rf "$work"
	done
	rm -f "${BATS_TEST_TMPDIR:-/tmp}/.pg_workdirs"
	PG_WORKDIR=
}

# psql against a test server as the bootstrap superuser.
pg_psql() {
	local port=$1
	shift
	"$PG_BINDIR/psql" -X -A -t -q -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

# shardkit_config [SETTING...]: in $PG_WORKDIR, a passfile with fresh random
# passwords for the bootstrap superuser (postgres) and the replication role,
# and a shardkit.conf (mode 0600, as the tools demand) naming it and
# PG_BINDIR, plus each SETTING (a whole libconfig line, such as
# "connect_timeout = 2.0;").  Exports SHARDKIT_CONF and PGPASSFILE; the
# password is left in $password, for tests that check it never leaks.
shardkit_config() {
	local work line
	work=$(pg_workdir)
	password="pw-$RANDOM$RANDOM"
	printf '127.0.0.1:*:*:postgres:%s\n127.0.0.1:*:*:shardkit_replication:%s\n' \
		"$password" "$password" > "$work/passfile"
	chmod 0600 "$work/passfile"
	{
		printf 'credentials_file = "%s";\npg_bindir = "%s";\n' "$work/passfile" "$PG_BINDIR"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} > "$work/shardkit.conf"
	chmod 0600 "$work/shardkit.conf"
	export SHARDKIT_CONF="$work/shardkit.conf" PGPASSFILE="$work/passfile"
}

# provision_servers N [server-init option...]: server-init pg1 ... pgN in
# $PG_WORKDIR on free ports, each entry in pgN.json and its port in PORT_pgN.
provision_servers() {
	local n=$1 work i
	shift
	work=$(pg_workdir)
	for i in $(seq "$n"); do
		server-init -D "$work/pg$i" -p "$(free_port)" --id "pg$i" "$@" > "$work/pg$i.json" || return 1
		echo "$work/pg$i" >> "$work/started"
		eval "PORT_pg$i=$(jq -r .conninfo "$work/pg$i.json" | sed 's/.*port=\([0-9]*\).*/\1/')"
	done
}

# one_shard_topology FACTOR ROLE...: $PG_WORKDIR/topology.json, version 1, of
# the provisioned pg1, pg2, ... in shard s1 with the ROLEs in that order.
one_shard_topology() {
	local factor=$1 work
	shift
	work=$(pg_workdir)
	jq -s --argjson factor "$factor" '{version: 1, mode: "primary-replica",
	        replication_factor: $factor, tables: [{name: "public.accounts", key: "id"}],
	        servers: (. | to_entries | map(.value + {shard: "s1", role: $ARGS.positional[.key]})),
	        shards: [{id: "s1", state: "active"}]}' \
		$(for i in $(seq $#); do echo "$work/pg$i.json"; done) --args "$@" > "$work/topology.json"
}

# sql PORT QUERY: one query as the bootstrap superuser over TCP (PGPASSFILE).
sql() {
	"$PG_BINDIR/psql" -X -A -t -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"
}
