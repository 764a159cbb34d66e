#!/usr/bin/env bats
# server-init: options, configuration and credential errors (no server is
# started here; tests/integration/server-init.bats provisions real ones).

load helper

TRY='Try "server-init --help" for more information.'

# A 0600 password file and a configuration naming it, in the test's directory.
write_credentials() {
	printf '127.0.0.1:*:postgres:postgres:not-a-real-secret\n' > pgpass
	printf '127.0.0.1:*:replication:shardkit_replication:not-a-real-secret\n' >> pgpass
	chmod 0600 pgpass
	printf 'credentials_file = "%s/pgpass";\n' "$BATS_TEST_TMPDIR" > sk.conf
	chmod 0600 sk.conf
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr server-init --help
	assert_status 0
	[ "${lines[0]}" = "usage: server-init [options] -D DATADIR -p PORT" ]
	[[ "$output" == *"--wipe"* ]]
	assert_stderr ""
}

@test "--version prints the program and the version" {
	run --separate-stderr server-init --version
	assert_status 0
	[ "$output" = "server-init (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the man page's synopsis" {
	usage_matches_synopsis server-init
}

@test "a missing data directory is a usage error" {
	run --separate-stderr server-init -p 5433
	assert_status 2
	assert_stderr "server-init: a data directory is required (-D)
$TRY"
	[ -z "$output" ]
}

@test "a missing port is a usage error" {
	run --separate-stderr server-init -D d
	assert_status 2
	assert_stderr "server-init: a port is required (-p)
$TRY"
}

@test "ports outside 1 to 65535 or not numbers are rejected" {
	for port in 0 65536 -1 12x "" " 5"; do
		run --separate-stderr server-init -D d -p "$port"
		assert_status 2
		assert_stderr "server-init: invalid --port \"$port\": expected an integer from 1 to 65535
$TRY"
	done
}

@test "an unknown option is a usage error" {
	run --separate-stderr server-init --frobnicate -D d -p 1
	assert_status 2
	[ "${stderr_lines[1]}" = "$TRY" ]
}

@test "an extra argument is a usage error" {
	run --separate-stderr server-init -D d -p 5433 extra
	assert_status 2
	assert_stderr "server-init: unexpected argument \"extra\"
$TRY"
}

@test "--wipe refuses the options of provisioning" {
	run --separate-stderr server-init --wipe -D d -p 5433
	assert_status 2
	assert_stderr "server-init: --wipe takes only -D, --timeout and --config
$TRY"
}

@test "a bad timeout is rejected" {
	run --separate-stderr server-init -D d -p 5433 -t 0
	assert_status 2
	assert_stderr "server-init: invalid --timeout \"0\": expected a number of seconds greater than 0 and at most 86400
$TRY"
}

@test "a data directory whose name is not a valid id needs --id" {
	run --separate-stderr server-init -D "_bad" -p 5433
	assert_status 2
	assert_stderr "server-init: invalid server id \"_bad\" (DATADIR's name; give one with --id): expected 1 to 63 letters, digits, '_', '.' or '-'
$TRY"
}

@test "an invalid --id is rejected" {
	run --separate-stderr server-init -D d -p 5433 --id "a b"
	assert_status 2
	assert_stderr "server-init: invalid server id \"a b\": expected 1 to 63 letters, digits, '_', '.' or '-'
$TRY"
}

@test "a listen address with characters PostgreSQL would need quoted is rejected" {
	run --separate-stderr server-init -D d -p 5433 --listen "127.0.0.1'; x"
	assert_status 2
	assert_stderr "server-init: invalid listen address \"127.0.0.1'; x\": expected host names or addresses separated by commas, or \"*\"
$TRY"
}

@test "listening on a wildcard needs --host for the conninfo" {
	run --separate-stderr server-init -D d -p 5433 --listen '*'
	assert_status 2
	assert_stderr "server-init: --host is required when listening on \"*\"
$TRY"
}

@test "the superuser may not be the replication user" {
	run --separate-stderr server-init -D d -p 5433 -U shardkit_replication
	assert_status 2
	assert_stderr "server-init: user \"shardkit_replication\" is also replication_user: they must differ
$TRY"
}

@test "a configuration with a password and mode 0644 is refused with status 4" {
	printf 'replication_password = "not-a-real-secret";\n' > sk.conf
	chmod 0644 sk.conf
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 4
	assert_stderr "server-init: configuration file \"sk.conf\" holds a password but has mode 0644, expected 0600
server-init: HINT: chmod 0600 \"sk.conf\""
	[ -z "$output" ]
	[ ! -e d ]
}

@test "a group-writable configuration is refused with status 4" {
	printf 'vnodes = 16;\n' > sk.conf
	chmod 0664 sk.conf
	SHARDKIT_CONF=sk.conf run --separate-stderr server-init -D d -p 5433
	assert_status 4
	assert_stderr "server-init: configuration file \"sk.conf\" is writable by group or others (mode 0664)
server-init: HINT: chmod go-w \"sk.conf\""
}

@test "a configuration with a syntax error is refused with its line" {
	printf 'vnodes = 16;\nrun_as = ;\n' > sk.conf
	chmod 0600 sk.conf
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 4
	assert_stderr "server-init: sk.conf:2: syntax error"
}

@test "without credentials_file there is no password and nothing is created" {
	run --separate-stderr server-init -D d -p 5433
	assert_status 4
	assert_stderr "server-init: no password for user \"postgres\": credentials_file is not set in $BATS_TEST_TMPDIR/empty.conf
server-init: HINT: add a line \"127.0.0.1:5433:postgres:postgres:PASSWORD\" to the password file named by credentials_file in shardkit.conf (mode 0600)"
	[ -z "$output" ]
	[ ! -e d ]
	[ ! -e d.initdb.tmp ]
}

@test "a password file readable by group is refused with status 4" {
	write_credentials
	chmod 0640 pgpass
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 4
	assert_stderr "server-init: password file \"$BATS_TEST_TMPDIR/pgpass\" has group or other access (mode 0640), expected 0600
server-init: HINT: chmod 0600 \"$BATS_TEST_TMPDIR/pgpass\""
	[ ! -e d ]
}

@test "a password file without the replication role's line names the line to add" {
	write_credentials
	sed -i '/replication/d' pgpass
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 4
	assert_stderr "server-init: no password for user \"shardkit_replication\" at 127.0.0.1:5433 in password file \"$BATS_TEST_TMPDIR/pgpass\"
server-init: HINT: add a line \"127.0.0.1:5433:replication:shardkit_replication:PASSWORD\" to the password file named by credentials_file in shardkit.conf (mode 0600)"
}

@test "an unknown run_as user is refused with status 4 when run as root" {
	[ "$(id -u)" -eq 0 ] || skip "run_as is used only by root"
	write_credentials
	printf 'run_as = "no-such-user-shardkit";\n' >> sk.conf
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 4
	assert_stderr "server-init: user \"no-such-user-shardkit\" (run_as) does not exist"
}

@test "a data directory path too long for a unix socket is rejected" {
	write_credentials
	long=$(printf 'x%.0s' $(seq 1 120))
	run --separate-stderr server-init --config sk.conf -D "$long" -p 5433 --id s1
	assert_status 2
	[[ "${stderr_lines[0]}" == "server-init: socket directory \"$(realpath .)/$long.socket\" is too long for a unix socket"* ]]
	[ "${stderr_lines[1]}" = "server-init: HINT: use a shorter data directory path" ]
}

@test "a non-empty directory that is not a data directory is refused with status 5" {
	write_credentials
	mkdir d
	echo keep > d/file
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 5
	assert_stderr "server-init: \"$(realpath .)/d\" exists and is not a data directory provisioned by server-init"
	[ "$(cat d/file)" = keep ]
	[ -z "$output" ]
}

@test "a PostgreSQL data directory made by someone else is refused with status 5" {
	write_credentials
	mkdir d
	echo 15 > d/PG_VERSION
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 5
	assert_stderr "server-init: data directory \"$(realpath .)/d\" was not provisioned by server-init
server-init: HINT: give server-init a directory of its own"
}

@test "--wipe never removes a directory that is not a server-init data directory" {
	mkdir d
	echo keep > d/file
	run --separate-stderr server-init --wipe -D d
	assert_status 5
	assert_stderr "server-init: \"$(realpath .)/d\" is not a data directory provisioned by server-init: not removing it"
	[ "$(cat d/file)" = keep ]
}

@test "--wipe of a directory that does not exist succeeds and prints nothing" {
	run --separate-stderr server-init --wipe -D missing/d
	assert_status 0
	[ -z "$output" ]
	assert_stderr ""
}

@test "--wipe removes leftovers of an interrupted run" {
	mkdir -p d.initdb.tmp/base d.wipe.tmp d.socket
	run --separate-stderr server-init --wipe -D d
	assert_status 0
	[ ! -e d.initdb.tmp ] && [ ! -e d.wipe.tmp ] && [ ! -e d.socket ]
}

@test "the example configuration is accepted" {
	cp "$EXAMPLES/shardkit.conf" sk.conf
	chmod 0644 sk.conf
	run --separate-stderr server-init --config sk.conf --wipe -D missing/d
	assert_status 0
	assert_stderr ""
}

@test "the example configuration names a password file server-init reads" {
	sed "s|/etc/shardkit/pgpass|$BATS_TEST_TMPDIR/pgpass|" "$EXAMPLES/shardkit.conf" > sk.conf
	chmod 0644 sk.conf
	printf '127.0.0.1:*:postgres:postgres:not-a-real-secret\n' > pgpass
	chmod 0600 pgpass
	# Found the superuser's password; stops at the replication role's.
	run --separate-stderr server-init --config sk.conf -D d -p 5433
	assert_status 4
	[ "${stderr_lines[0]}" = "server-init: no password for user \"shardkit_replication\" at 127.0.0.1:5433 in password file \"$BATS_TEST_TMPDIR/pgpass\"" ]
}
