/*
 * history.h - the negotiation history: every published round and every
 * event of the event model (events.h), kept in SQLite under --state-dir.
 *
 * The hub's change listener (core thread) only takes references to the
 * round's events and queues them (bounded: a full queue drops the round,
 * counts it and logs it; the core thread never waits on the disk). A writer
 * thread of the store's own writes each round in one transaction (WAL mode:
 * kill -9 loses at most the round in flight), then prunes by age and by
 * count in small batches. Without a state directory, or when the file
 * cannot be used and history is not required, the same store lives in
 * memory only (lost at exit) and the log says so.
 *
 * Counters meant to survive (negotiations run, results changed) are kept
 * in the store: their discontinuity time is the store's creation (since_ns);
 * the snapshot's own counters reset when issud starts.
 *
 * Readers (NETCONF history RPC and replay, SNMP history table) query on
 * their own thread; a query waits at most for one write transaction.
 */
#ifndef ISSU_HISTORY_H
#define ISSU_HISTORY_H

#include <stdint.h>

#include "endpoint.h" /* issu_log_cb */
#include "events.h"
#include "hub.h"

struct issu_hist;

#define ISSU_HIST_DEF_MAX_AGE_S (30ULL * 86400) /* 30 days */
#define ISSU_HIST_DEF_MAX_EVENTS 1000000ULL
#define ISSU_HIST_DEF_QUEUE 64      /* rounds waiting for the writer ... */
#define ISSU_HIST_QUEUE_EVENTS 100000 /* ... and their events (each round holds its two snapshots) */
#define ISSU_HIST_PRUNE_BATCH 2000  /* rows deleted per pruning transaction */
#define ISSU_HIST_FILE "history.db"

struct issu_hist_conf {
    const char *state_dir;   /**< NULL: memory only */
    uint64_t max_age_s;      /**< 0: ISSU_HIST_DEF_MAX_AGE_S */
    uint64_t max_events;     /**< events (and rounds) kept; 0: ISSU_HIST_DEF_MAX_EVENTS */
    unsigned queue_max;      /**< 0: ISSU_HIST_DEF_QUEUE */
    int require;             /**< the file store must open: no fallback to memory */
    uint64_t max_pages;      /**< tests: SQLite max_page_count (a full disk); 0: none */
    int64_t (*now)(void);    /**< tests: the clock retention prunes by; NULL: issu_htime_now */
    issu_log_cb log;
    void *log_arg;
};

/**
 * Open (or create) DIR/history.db, check it (quick_check), create the
 * schema, read the surviving counters and start the writer thread. When the
 * file cannot be used (corrupt, unwritable directory, locked by another
 * issud, full disk) the reason is logged; with conf->require that is
 * ISSU_ERR_IO, otherwise the store falls back to memory and ISSU_OK.
 * Rounds submitted before issu_hist_start() wait in the queue.
 */
int issu_hist_open(const struct issu_hist_conf *conf, struct issu_hist **out);

/** Start the writer thread. */
int issu_hist_start(struct issu_hist *h);

/** Register the store's change listener on @p hub (before issu_hub_start). */
int issu_hist_attach(struct issu_hist *h, struct issu_hub *hub);

/**
 * Queue one round (what the listener does; benchmarks and tests call it
 * directly). Never blocks on the disk: a full queue (queue_max rounds, or
 * ISSU_HIST_QUEUE_EVENTS events when another round waits) drops the round,
 * counts it and logs it (the first drop, then every 100th).
 */
void issu_hist_submit(struct issu_hist *h, enum issu_trigger trigger, const struct issu_snapshot *old,
                      const struct issu_snapshot *cur, const struct issu_events *ev);

/** Wait until every queued round is written and retention ran (tests,
 * benchmarks); returns at once when the writer is not started. */
void issu_hist_flush(struct issu_hist *h);

/** Write what is queued, stop the writer and close. NULL is a no-op. */
void issu_hist_close(struct issu_hist *h);

struct issu_hist_stats {
    int persistent;                /**< 1: the file store; 0: memory only */
    int64_t since_ns;              /**< store created: the counters' discontinuity time */
    uint64_t negotiations_total;   /**< rounds completed, across restarts */
    uint64_t results_changed_total;/**< session/verdict results changed, across restarts */
    uint64_t rounds_stored, events_stored;
    int64_t oldest_event_ns;       /**< 0 when none */
    int64_t last_event_id;         /**< highest event id stored (0: none) */
    uint64_t last_generation;      /**< snapshot generation of the newest round written by this
                                        issud (0: none yet); replay's seam with live notifications */
    uint64_t rounds_dropped;       /**< queue full, since start */
    uint64_t write_errors;         /**< rounds a failed write lost, since start */
    uint64_t pruned;               /**< rows deleted by retention, since start */
    int64_t write_ns_last, write_ns_max, write_ns_total; /**< writer time per round, since start */
};

void issu_hist_stats(struct issu_hist *h, struct issu_hist_stats *out);

/**
 * The totals as the store held them when it opened, before this issud's
 * rounds: a snapshot's negotiations + *negotiations is the total as of that
 * snapshot (what the state shows, consistent with the rest of it).
 */
void issu_hist_base(const struct issu_hist *h, uint64_t *negotiations, uint64_t *results_changed);

/** A stored round. Strings are owned by the result. */
struct issu_hist_round {
    int64_t id, time_ns;
    uint8_t trigger;     /**< enum issu_trigger */
    uint8_t verdict;     /**< enum issu_verdict */
    uint8_t peer_state;  /**< enum issu_peer_state */
    uint8_t side;        /**< enum issu_side of the shown endpoint */
    uint32_t unique_id, peer_unique_id;
    char *image_name, *image_version, *peer_image_name, *peer_image_version, *verdict_reason;
    uint32_t sessions, compatible, incompatible, unknown, n_events;
    uint64_t negotiations;  /**< the snapshot's counter (resets at start) */
};

/** A stored event: struct issu_event's fields, with the round's time. */
struct issu_hist_event {
    int64_t id, round, time_ns;
    uint8_t kind, trigger;
    uint8_t old_raw, raw, old_result, result, old_effective, effective, gone, has_policy;
    uint8_t old_verdict, verdict, old_peer_state, peer_state;
    uint32_t sid, peer_sid, client_id, entity_id, peer_unique_id;
    uint32_t n_chain;
    uint32_t *chain;
    char *session_name, *peer_image_name, *peer_image_version, *verdict_reason, *reason;
};

struct issu_hist_query {
    int64_t since_ns;     /**< events and rounds at or after; 0: from the oldest */
    int64_t until_ns;     /**< ... before; 0: no bound */
    int64_t after_id;     /**< events with a larger id only (0: all) */
    uint32_t client_id;   /**< session events of this client only (and their rounds); 0: all */
    uint32_t limit;       /**< events at most; 0: ISSU_HIST_QUERY_MAX */
    int newest;           /**< 1: the newest @p limit (still returned oldest first) */
    int no_rounds;        /**< 1: events only */
};
#define ISSU_HIST_QUERY_MAX 100000u

struct issu_hist_result {
    uint32_t n_rounds, n_events;
    struct issu_hist_round *rounds; /**< oldest first */
    struct issu_hist_event *events; /**< oldest first (by id) */
    int truncated;                  /**< more events matched than the limit */
};

/** Rounds and events matching @p q. ISSU_ERR_IO when the store failed. */
int issu_hist_query(struct issu_hist *h, const struct issu_hist_query *q, struct issu_hist_result **out);
void issu_hist_result_free(struct issu_hist_result *r);

#endif
