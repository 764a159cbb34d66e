#!/bin/sh
# Place the example primary-replica cluster on the ring, then route keys:
# the JSON record of one key, and a stream of keys to their primaries.
set -eu
here=$(dirname "$0")
ring-place < "$here/primary-replica.json" > placed.json
topo-check -t placed.json
ring-lookup -t placed.json alice
printf '%s\n' 1 2 3 4 5 | ring-lookup -t placed.json --format tsv --field primary
ring-place --stats < placed.json | jq -c '.owners[] | {id, fraction}'
