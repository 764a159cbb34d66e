/* options.c -- numeric option values: one parser, one message shape */

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "error.h"
#include "options.h"

const struct number_range RANGE_CRASH_PROB =
	{ 0, 1, 0, 0, "a number from 0 to 1" };
const struct number_range RANGE_MTBF_DAYS =
	{ 0, DBL_MAX, 1, 0, "a number greater than 0" };
const struct number_range RANGE_REPAIR_DAYS =
	{ 0, DBL_MAX, 0, 0, "a number of at least 0" };
const struct number_range RANGE_CONFIDENCE =
	{ 0, 1, 1, 1, "a number greater than 0 and less than 1" };
const struct number_range RANGE_SECONDS =
	{ 0, 86400, 1, 0, "a number of seconds greater than 0 and at most 86400" };

double
option_number(const char *option, const char *text, const struct number_range *range)
{
	char *end;
	double v;

	/* strtod skips leading spaces and takes "inf" and "nan": neither is meant. */
	errno = 0;
	v = strtod(text, &end);
	if (*text == '\0' || isspace((unsigned char)*text) || *end != '\0' ||
	    errno == ERANGE || !isfinite(v) ||
	    v < range->low || (range->open_low && v == range->low) ||
	    v > range->high || (range->open_high && v == range->high))
		error_usage("invalid %s \"%s\": expected %s", option, text, range->expected);
	return v;
}

uint64_t
option_integer(const char *option, const char *text, uint64_t low, uint64_t high)
{
	unsigned long long v;
	char *end;

	/* strtoull would take "-1" (as a huge value), " 7" and "+7". */
	errno = 0;
	v = isdigit((unsigned char)*text) ? strtoull(text, &end, 10) : 0;
	if (!isdigit((unsigned char)*text) || *end != '\0' || errno == ERANGE ||
	    v < low || v > high)
		error_usage("invalid %s \"%s\": expected an integer from %" PRIu64 " to %" PRIu64,
		    option, text, low, high);
	return (uint64_t)v;
}
