/* options.h -- numeric option values: one parser, one message shape
 *
 * Every program checks its numeric options here, so "--vnodes 3x",
 * "--port -1" and "--crash-prob 2" are refused the same way everywhere:
 *     prog: invalid --OPTION "TEXT": expected WHAT
 * followed by the 'Try "prog --help"' line and exit status 2.
 */
#ifndef SHARDKIT_OPTIONS_H
#define SHARDKIT_OPTIONS_H

#include <stdint.h>

/* A range of real numbers, open or closed at each end, and its words. */
struct number_range {
	double low, high;
	int open_low, open_high;
	const char *expected;       /* "a number from 0 to 1" */
};

/* The ranges of the failure-rate options shared by reserve-calc and shard-plan. */
extern const struct number_range RANGE_CRASH_PROB;     /* [0, 1] */
extern const struct number_range RANGE_MTBF_DAYS;      /* (0, max] */
extern const struct number_range RANGE_REPAIR_DAYS;    /* [0, max] */
extern const struct number_range RANGE_CONFIDENCE;     /* (0, 1) */
extern const struct number_range RANGE_SECONDS;        /* (0, 86400] */

/*
 * A finite decimal number filling the whole of text and within range, or a
 * usage error (exit 2) naming option.
 */
double option_number(const char *option, const char *text, const struct number_range *range);

/*
 * Decimal digits only (no sign, no spaces) with low <= value <= high, or a
 * usage error: 'expected an integer from LOW to HIGH'.
 */
uint64_t option_integer(const char *option, const char *text, uint64_t low, uint64_t high);

#endif
