/* clock.h -- the one monotonic clock every deadline and duration is measured on */
#ifndef SHARDKIT_CLOCK_H
#define SHARDKIT_CLOCK_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything. */
double clock_seconds(void);

#endif
