/*
 * snmp_stamp.c - issuLastChange as TimeTicks, converted once per stamp (see
 * snmp_stamp.h for why the conversion must not be repeated on every read).
 */
#include "snmp_stamp.h"

int64_t issu_snmp_mono_cs(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 100 + t->tv_nsec / 10000000;
}

uint32_t issu_snmp_stamp_ticks(struct issu_snmp_stamp *cache, const struct timespec *mono,
                               int64_t base_cs)
{
    int64_t drift, cs;

    if (!mono->tv_sec && !mono->tv_nsec)
        return 0;
    drift = base_cs - cache->base_cs;
    if (cache->valid && cache->mono.tv_sec == mono->tv_sec && cache->mono.tv_nsec == mono->tv_nsec &&
        drift <= ISSU_SNMP_STAMP_SLACK_CS && drift >= -ISSU_SNMP_STAMP_SLACK_CS)
        return cache->ticks;
    cs = issu_snmp_mono_cs(mono) - base_cs;
    cache->valid = 1;
    cache->mono = *mono;
    cache->base_cs = base_cs;
    cache->ticks = cs > 0 ? (uint32_t)((uint64_t)cs & 0xffffffffu) : 0;
    return cache->ticks;
}
