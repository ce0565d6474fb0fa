/*
 * snmp_stamp.h - issuLastChange: a snapshot's monotonic stamp as TimeTicks.
 *
 * A TimeStamp is a value of sysUpTime. The agent's sysUpTime is "monotonic
 * now minus a base", and net-snmp moves that base a little every time the
 * AgentX master answers a ping (it keeps the subagent in step with the
 * master). Converting on every read therefore jitters by a tick or two;
 * here a stamp is converted once and the result kept while the base stays
 * within ISSU_SNMP_STAMP_SLACK_CS of the base it was computed with, so the
 * value only moves when the stamp does (or the master restarted). No
 * net-snmp here: the caller passes the base, the unit tests drive this alone.
 */
#ifndef ISSU_SNMP_STAMP_H
#define ISSU_SNMP_STAMP_H

#include <stdint.h>
#include <time.h>

/** How far (centiseconds) the base may drift before a stamp is converted again. */
#define ISSU_SNMP_STAMP_SLACK_CS 100

struct issu_snmp_stamp {
    int valid;
    struct timespec mono; /**< the stamp converted last */
    int64_t base_cs;      /**< the base it was converted with */
    uint32_t ticks;
};

/** A CLOCK_MONOTONIC time in centiseconds (rounded down). */
int64_t issu_snmp_mono_cs(const struct timespec *t);

/**
 * TimeTicks of @p mono on a sysUpTime clock that read 0 at monotonic time
 * @p base_cs (centiseconds): 0 for a stamp before it (or an unset stamp),
 * modulo 2^32 like sysUpTime. @p cache keeps the last conversion.
 */
uint32_t issu_snmp_stamp_ticks(struct issu_snmp_stamp *cache, const struct timespec *mono,
                               int64_t base_cs);

#endif
