#!/bin/sh
# How many reserve servers to keep: the seed notes' example (1000 servers,
# each down 0.5% of days, covered on 99% of days), and the same for a
# topology with servers that fail every 200 days and take 2 days to repair.
set -eu
here=$(dirname "$0")
reserve-calc --servers 1000 --crash-prob 0.005 | jq -c '{reserve, achieved, poisson}'
reserve-calc -t "$here/primary-replica.json" --mtbf-days 200 --repair-days 2 | jq -c '{servers, crash_prob, reserve}'
