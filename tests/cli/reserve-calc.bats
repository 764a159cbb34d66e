#!/usr/bin/env bats
# reserve-calc: reserve counts from the command line.

load helper

# The usage-error path: the message, then the pointer to --help.
assert_usage_error() {
	assert_status 2
	assert_stderr "reserve-calc: $1
Try \"reserve-calc --help\" for more information."
	[ -z "$output" ]
}

@test "the seed example needs 11 reserves under both models, not 10" {
	run --separate-stderr reserve-calc --servers 1000 --crash-prob 0.005
	assert_status 0
	assert_stderr ""
	[ "$(jq .reserve <<<"$output")" = 11 ]
	[ "$(jq .poisson.reserve <<<"$output")" = 11 ]
	[ "$(jq .model <<<"$output")" = '"binomial"' ]
	# Exact rationals: P(X <= 11) = 0.99466998879374358.
	[ "$(jq .achieved <<<"$output")" = 0.994669988793744 ]
	[ "$(jq .poisson.achieved <<<"$output")" = 0.994546908086991 ]
}

@test "the output carries every documented field with the inputs as typed" {
	run --separate-stderr reserve-calc -n 1000 --crash-prob 0.005
	assert_status 0
	[ "$(jq -c 'keys_unsorted' <<<"$output")" = \
		'["servers","crash_prob","expected_down","confidence","reserve","achieved","model","poisson"]' ]
	[ "$(jq .servers <<<"$output")" = 1000 ]
	# Printed as typed, not as 0.0050000000000000001.
	grep -q '"crash_prob": 0.005,' <<<"$output"
	grep -q '"confidence": 0.99,' <<<"$output"
	[ "$(jq .expected_down <<<"$output")" = 5 ]
}

@test "a lower confidence needs fewer reserves" {
	run --separate-stderr reserve-calc -n 1000 --crash-prob 0.005 --confidence 0.9
	assert_status 0
	# P(X <= 7) = 0.867 < 0.9 <= P(X <= 8) = 0.932
	[ "$(jq .reserve <<<"$output")" = 8 ]
	[ "$(jq .confidence <<<"$output")" = 0.9 ]
}

@test "ten million servers with a one-in-a-million rate need 18" {
	run --separate-stderr reserve-calc -n 10000000 --crash-prob 1e-6
	assert_status 0
	[ "$(jq .reserve <<<"$output")" = 18 ]
	[ "$(jq .poisson.reserve <<<"$output")" = 18 ]
}

@test "mtbf and repair days give the steady-state down probability" {
	run --separate-stderr reserve-calc -n 1000 --mtbf-days 30 --repair-days 2
	assert_status 0
	[ "$(jq .crash_prob <<<"$output")" = 0.0625 ]
	[ "$(jq .mtbf_days <<<"$output")" = 30 ]
	[ "$(jq .repair_days <<<"$output")" = 2 ]
	[ "$(jq .expected_down <<<"$output")" = 62.5 ]
}

@test "a zero crash probability needs no reserve and a certain one needs every server" {
	run --separate-stderr reserve-calc -n 1000 --crash-prob 0
	assert_status 0
	[ "$(jq -c '[.reserve, .achieved, .poisson.reserve]' <<<"$output")" = '[0,1,0]' ]
	run --separate-stderr reserve-calc -n 1000 --crash-prob 1
	assert_status 0
	[ "$(jq -c '[.reserve, .achieved]' <<<"$output")" = '[1000,1]' ]
}

@test "the table runs from 0 to three past the reserve with both models" {
	run --separate-stderr reserve-calc -n 1000 --crash-prob 0.005 --table
	assert_status 0
	[ "$(jq '.table | length' <<<"$output")" = 15 ]
	[ "$(jq '.table[0].k' <<<"$output")" = 0 ]
	[ "$(jq '.table[-1].k' <<<"$output")" = 14 ]
	# Exact rationals and exp(-5) sum 5^j/j!: P(X <= 10) is below 0.99 in both.
	[ "$(jq -c '.table[10]' <<<"$output")" = \
		'{"k":10,"binomial":0.986530990671068,"poisson":0.986304731401617}' ]
}

@test "a long table keeps only its last 100 rows" {
	run --separate-stderr reserve-calc -n 10000000 --crash-prob 0.5 --table
	assert_status 0
	[ "$(jq '.table | length' <<<"$output")" = 100 ]
	[ "$(jq '.table[-1].k - .poisson.reserve' <<<"$output")" = 3 ]
}

@test "the text format is a short report with the table in columns" {
	run --separate-stderr reserve-calc -n 1000 --crash-prob 0.005 --table --format text
	assert_status 0
	assert_stderr ""
	[ "${lines[0]}" = "servers          1000" ]
	[ "${lines[4]}" = "reserve          11 (binomial: P(X <= 11) = 0.994669988794)" ]
	[ "${lines[5]}" = "poisson reserve  11 (P(X <= 11) = 0.994546908087)" ]
	[ "${lines[6]}" = "k            binomial P(X<=k)     poisson P(X<=k)" ]
	[ "${lines[17]}" = "10           0.986530990671       0.986304731402" ]
}

@test "a topology on standard input counts its servers in service" {
	run --separate-stderr reserve-calc --crash-prob 0.01 < "$EXAMPLES/primary-replica.json"
	assert_status 0
	[ "$(jq .servers <<<"$output")" = 8 ]
	jq '.servers[0].state = "down" | .servers[1].state = "fenced" | .servers[2].state = "joining"' \
		"$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr reserve-calc --crash-prob 0.01 -t t.json
	assert_status 0
	[ "$(jq .servers <<<"$output")" = 6 ]
}

@test "SHARDKIT_TOPOLOGY names the topology when neither -n nor -t is given" {
	SHARDKIT_TOPOLOGY="$EXAMPLES/primary-replica.json" run --separate-stderr reserve-calc --crash-prob 0.01 </dev/null
	assert_status 0
	[ "$(jq .servers <<<"$output")" = 8 ]
}

@test "a truncated topology is rejected with its line and column" {
	printf '{"version": 1,' > t.json
	run --separate-stderr reserve-calc --crash-prob 0.01 < t.json
	assert_status 3
	assert_stderr "reserve-calc: <stdin>:1:14: string or '}' expected near end of file"
	[ -z "$output" ]
}

@test "an invalid topology is rejected with the JSON path of the problem" {
	jq '.servers[0].role = "boss"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr reserve-calc --crash-prob 0.01 < t.json
	assert_status 3
	assert_stderr 'reserve-calc: <stdin>: servers[0].role: expected "none", "primary", "replica" or "reserve", found "boss"'
	[ -z "$output" ]
}

@test "a topology with no server in service is rejected" {
	jq '.servers[].state = "down"' "$EXAMPLES/primary-replica.json" > t.json
	run --separate-stderr reserve-calc --crash-prob 0.01 -t t.json
	assert_status 3
	assert_stderr "reserve-calc: t.json: servers: no server is in service (up, joining or draining)"
	[ -z "$output" ]
}

@test "an unreadable topology file exits 1" {
	run --separate-stderr reserve-calc --crash-prob 0.01 -t missing.json
	assert_status 1
	assert_stderr 'reserve-calc: could not open "missing.json": No such file or directory'
}

@test "a server count that is not a positive integer is a usage error" {
	local bad
	for bad in abc 0 -1 +5 " 5" 1e3 1000000000001 99999999999999999999999; do
		run --separate-stderr reserve-calc --servers "$bad" --crash-prob 0.01
		assert_usage_error "invalid --servers \"$bad\": expected an integer from 1 to 1000000000000"
	done
}

@test "a crash probability outside 0 to 1 or not a number is a usage error" {
	local bad
	for bad in 1.5 -0.1 x nan inf "" 0.5x; do
		run --separate-stderr reserve-calc -n 10 --crash-prob "$bad"
		assert_usage_error "invalid --crash-prob \"$bad\": expected a number from 0 to 1"
	done
}

@test "a confidence of 0, 1 or outside is a usage error" {
	local bad
	for bad in 0 1 1.01 -0.5 nan abc; do
		run --separate-stderr reserve-calc -n 10 --crash-prob 0.01 --confidence "$bad"
		assert_usage_error "invalid --confidence \"$bad\": expected a number greater than 0 and less than 1"
	done
}

@test "non-positive mtbf and negative repair times are usage errors" {
	run --separate-stderr reserve-calc -n 10 --mtbf-days 0 --repair-days 1
	assert_usage_error 'invalid --mtbf-days "0": expected a number greater than 0'
	run --separate-stderr reserve-calc -n 10 --mtbf-days 30 --repair-days -1
	assert_usage_error 'invalid --repair-days "-1": expected a number of at least 0'
	run --separate-stderr reserve-calc -n 10 --mtbf-days 1e400 --repair-days 1
	assert_usage_error 'invalid --mtbf-days "1e400": expected a number greater than 0'
}

@test "both failure rates at once is a usage error" {
	run --separate-stderr reserve-calc -n 10 --crash-prob 0.01 --mtbf-days 30 --repair-days 2
	assert_usage_error "--crash-prob and --mtbf-days/--repair-days are mutually exclusive"
}

@test "no failure rate is a usage error" {
	run --separate-stderr reserve-calc -n 10
	assert_usage_error "a failure rate is required: --crash-prob, or --mtbf-days with --repair-days"
}

@test "repair days alone or mtbf days alone is a usage error" {
	run --separate-stderr reserve-calc -n 10 --repair-days 2
	assert_usage_error "--repair-days needs --mtbf-days"
	run --separate-stderr reserve-calc -n 10 --mtbf-days 30
	assert_usage_error "--mtbf-days needs --repair-days"
}

@test "a server count together with a topology is a usage error" {
	run --separate-stderr reserve-calc -n 10 -t "$EXAMPLES/primary-replica.json" --crash-prob 0.01
	assert_usage_error "--servers and --topology are mutually exclusive"
}

@test "an unknown format, an unknown option or an argument is a usage error" {
	run --separate-stderr reserve-calc -n 10 --crash-prob 0.01 --format xml
	assert_usage_error 'invalid --format "xml": expected "json" or "text"'
	run --separate-stderr reserve-calc -n 10 --crash-prob 0.01 extra
	assert_usage_error 'unexpected argument "extra"'
	run --separate-stderr reserve-calc --bogus
	assert_status 2
	assert_stderr "reserve-calc: unrecognized option '--bogus'
Try \"reserve-calc --help\" for more information."
}

@test "a closed standard output is an error, not silence" {
	run --separate-stderr bash -c 'reserve-calc -n 10 --crash-prob 0.01 >&-'
	assert_status 1
	assert_stderr "reserve-calc: could not write to standard output: Bad file descriptor"
}

@test "--help prints the usage line first and exits 0" {
	run --separate-stderr reserve-calc --help
	assert_status 0
	assert_stderr ""
	[ "${lines[0]}" = "usage: reserve-calc [--table] [--confidence c] [--format json|text] [-n servers | -t file] {--crash-prob p | --mtbf-days d --repair-days r}" ]
}

@test "--version prints the program and the version" {
	run --separate-stderr reserve-calc --version
	assert_status 0
	[ "$output" = "reserve-calc (shardkit) $(cat "$TOP/VERSION")" ]
}

@test "the usage line matches the manual's synopsis" {
	usage_matches_synopsis reserve-calc
}

@test "the manual's examples run and give what they say" {
	run bash -c 'reserve-calc --servers 1000 --crash-prob 0.005 | jq .reserve'
	assert_status 0
	[ "$output" = 11 ]
	run bash -c "reserve-calc -n 1000 --crash-prob 0.005 --table | jq -r '.table[] | [.k, .binomial, .poisson] | @tsv' | sed -n 12p"
	assert_status 0
	[ "$output" = "$(printf '11\t0.994669988793744\t0.994546908086991')" ]
	cd "$TOP"
	run --separate-stderr reserve-calc --mtbf-days 365 --repair-days 2 --confidence 0.999 --format text \
		< examples/primary-replica.json
	assert_status 0
	[ "${lines[0]}" = "servers          8" ]
}
