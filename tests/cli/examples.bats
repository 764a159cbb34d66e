#!/usr/bin/env bats
# Every pipeline in examples/ runs, in a scratch directory, and succeeds.

load helper

run_example() {
	run --separate-stderr sh "$EXAMPLES/$1"
	assert_status 0
	assert_stderr ""
}

@test "route-keys.sh routes keys on the placed example cluster" {
	run_example route-keys.sh
	[ "$(jq -r .key <<< "${lines[0]}")" = alice ]
	[ "${#lines[@]}" -eq 8 ]
}

@test "grow-cluster.sh forms one new shard and moves a third of the ring to it" {
	run_example grow-cluster.sh
	[ "$(jq -r .id <<< "${lines[0]}")" = s3 ]
	total=$(printf '%s\n' "${lines[@]:1}" | jq -s 'map(.fraction) | add * 1000 | round')
	[ "$total" -eq 333 ]
}

@test "no-replication.sh routes no key to the down shard, then some once it is back" {
	run_example no-replication.sh
	down=$(printf '%s\n' "${lines[@]:0:8}" | grep -c '^C$' || true)
	[ "$down" -eq 0 ]
	back=$(printf '%s\n' "${lines[@]:8:8}" | grep -c '^C$' || true)
	[ "$back" -gt 0 ]
}

@test "multi-master.sh gives every key three distinct servers" {
	run_example multi-master.sh
	for line in "${lines[@]}"; do
		[ "$(jq '.servers | unique | length' <<< "$line")" -eq 3 ]
	done
}

@test "reserve.sh gives the corrected seed answer" {
	run_example reserve.sh
	[ "$(jq .reserve <<< "${lines[0]}")" -eq 11 ]
}

@test "every example script has a test" {
	for f in "$EXAMPLES"/*.sh; do
		grep -q "$(basename "$f")" "$BATS_TEST_FILENAME"
	done
}
