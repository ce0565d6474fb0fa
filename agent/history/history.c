/*
 * history.c - the SQLite negotiation history (history.h).
 *
 * Two locks: mu guards the queue and the counters (the core thread takes it
 * only to append a pointer); db_mu guards the one connection (the writer
 * holds it for one round's transaction or one pruning batch, a reader for
 * one query). The file is DIR/history.db in WAL mode with synchronous=NORMAL:
 * a killed process loses no committed round. DIR/history.lock, held with
 * flock() for the store's life, keeps a second issud off the same store.
 */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "htime.h"
#include "issu_err.h"

#define SCHEMA_VERSION 1
#define AGE_CHECK_MS 60000 /* idle writer: age pruning once a minute */

struct item {
    enum issu_trigger trigger;
    int64_t time_ns;
    struct issu_snapshot *old, *cur; /* references */
    struct issu_events *ev;          /* reference */
    struct item *next;
};

struct issu_hist {
    struct issu_hist_conf conf;
    char *path;     /* NULL: memory */
    int lock_fd;
    sqlite3 *db;
    pthread_mutex_t db_mu;

    pthread_mutex_t mu;
    pthread_cond_t cv, idle_cv;
    struct item *head, *tail;
    unsigned queued;
    uint64_t queued_events;
    int busy;       /* the writer holds an item */
    int stop;
    int started;
    pthread_t thread;
    struct issu_hist_stats st; /* under mu */
    uint64_t base_nego, base_changed; /* the totals when the store opened */
    struct issu_hub *hub;
};

static void hlog(struct issu_hist *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void hlog(struct issu_hist *h, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(h->conf.log, h->conf.log_arg, level, fmt, ap);
    va_end(ap);
}

static const char *const SCHEMA =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rounds(id INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL,"
    " trigger INTEGER NOT NULL, generation INTEGER NOT NULL, side INTEGER NOT NULL,"
    " unique_id INTEGER NOT NULL, peer_unique_id INTEGER NOT NULL, peer_state INTEGER NOT NULL,"
    " image_name TEXT, image_version TEXT, peer_image_name TEXT, peer_image_version TEXT,"
    " verdict INTEGER NOT NULL, verdict_reason TEXT, sessions INTEGER NOT NULL,"
    " compatible INTEGER NOT NULL, incompatible INTEGER NOT NULL, unknown INTEGER NOT NULL,"
    " n_events INTEGER NOT NULL, negotiations INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, round INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL, trigger INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " sid INTEGER, peer_sid INTEGER, client_id INTEGER NOT NULL, entity_id INTEGER,"
    " session_name TEXT, peer_unique_id INTEGER, old_raw INTEGER, raw INTEGER,"
    " old_result INTEGER, result INTEGER, old_effective INTEGER, effective INTEGER,"
    " gone INTEGER, has_policy INTEGER, old_verdict INTEGER, verdict INTEGER,"
    " old_peer_state INTEGER, peer_state INTEGER, peer_image_name TEXT,"
    " peer_image_version TEXT, chain TEXT, verdict_reason TEXT, reason TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_time ON events(time_ns);"
    "CREATE INDEX IF NOT EXISTS events_client ON events(client_id, id);"
    "CREATE INDEX IF NOT EXISTS rounds_time ON rounds(time_ns);";

static int exec(struct issu_hist *h, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return ISSU_OK;
    hlog(h, LOG_ERR, "history: %s: %s", h->path ? h->path : "memory", msg ? msg : sqlite3_errmsg(h->db));
    sqlite3_free(msg);
    return ISSU_ERR_IO;
}

/* One integer from the first column of @p sql (-1 on error). */
static int64_t one_int(struct issu_hist *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int64_t meta_get(struct issu_hist *h, const char *key, int64_t dflt)
{
    sqlite3_stmt *st = NULL;
    int64_t v = dflt;

    if (sqlite3_prepare_v2(h->db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static int meta_set(struct issu_hist *h, const char *key, int64_t v)
{
    sqlite3_stmt *st = NULL;
    int rc = ISSU_ERR_IO;

    if (sqlite3_prepare_v2(h->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, v);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = ISSU_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Take DIR/history.lock; ISSU_ERR_IO with the reason logged when another process has it. */
static int take_lock(struct issu_hist *h, const char *dir)
{
    char path[4096], buf[32];
    int fd, n;

    snprintf(path, sizeof(path), "%s/history.lock", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        hlog(h, LOG_ERR, "history: cannot create %s: %s", path, strerror(errno));
        return ISSU_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        n = (int)pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        hlog(h, LOG_ERR, "history: %s/%s is in use by another issud (pid %s): not sharing it", dir,
             ISSU_HIST_FILE, buf[0] ? buf : "unknown");
        close(fd);
        return ISSU_ERR_IO;
    }
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
        /* the pid is only for the message above */
    }
    h->lock_fd = fd;
    return ISSU_OK;
}

static void db_close(struct issu_hist *h)
{
    if (h->db)
        sqlite3_close_v2(h->db);
    h->db = NULL;
    if (h->lock_fd >= 0)
        close(h->lock_fd);
    h->lock_fd = -1;
}

/* Pragmas, check, schema, counters on the open connection. */
static int db_prepare(struct issu_hist *h)
{
    char sql[128];
    int64_t v, now = issu_htime_now();
    char *ck;
    sqlite3_stmt *st = NULL;
    int rc = ISSU_ERR_IO;

    sqlite3_busy_timeout(h->db, 2000);
    if (h->path) {
        /* quick_check reads every page: a damaged file is named here, not at the first write */
        if (sqlite3_prepare_v2(h->db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW) {
            hlog(h, LOG_ERR, "history: %s is not a usable database (%s)", h->path, sqlite3_errmsg(h->db));
            goto cleanup;
        }
        ck = (char *)sqlite3_column_text(st, 0);
        if (!ck || strcmp(ck, "ok")) {
            hlog(h, LOG_ERR, "history: %s is corrupt (quick_check: %s)", h->path, ck ? ck : "?");
            goto cleanup;
        }
        sqlite3_finalize(st);
        st = NULL;
        if (one_int(h, "PRAGMA user_version") < 0) {
            hlog(h, LOG_ERR, "history: %s: %s", h->path, sqlite3_errmsg(h->db));
            goto cleanup;
        }
        if (sqlite3_prepare_v2(h->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "wal")) {
            hlog(h, LOG_ERR, "history: %s: WAL mode refused (%s)", h->path, sqlite3_errmsg(h->db));
            goto cleanup;
        }
        sqlite3_finalize(st);
        st = NULL;
        ISSU_CHECK_GOTO(exec(h, "PRAGMA synchronous=NORMAL"), rc);
    }
    if (h->conf.max_pages) {
        snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%" PRIu64, h->conf.max_pages);
        ISSU_CHECK_GOTO(exec(h, sql), rc);
    }
    v = one_int(h, "PRAGMA user_version");
    if (v > SCHEMA_VERSION) {
        hlog(h, LOG_ERR, "history: %s has schema %" PRId64 ", newer than this issud's %d", h->path, v,
             SCHEMA_VERSION);
        rc = ISSU_ERR_IO;
        goto cleanup;
    }
    ISSU_CHECK_GOTO(exec(h, "BEGIN IMMEDIATE"), rc);
    rc = exec(h, SCHEMA);
    if (rc == ISSU_OK && meta_get(h, "created_ns", 0) == 0)
        rc = meta_set(h, "created_ns", now);
    if (rc == ISSU_OK) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", SCHEMA_VERSION);
        rc = exec(h, sql);
    }
    if (rc == ISSU_OK)
        rc = exec(h, "COMMIT");
    if (rc != ISSU_OK) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        goto cleanup;
    }
    h->st.since_ns = meta_get(h, "created_ns", now);
    h->st.negotiations_total = (uint64_t)meta_get(h, "negotiations_total", 0);
    h->st.results_changed_total = (uint64_t)meta_get(h, "results_changed_total", 0);
    h->base_nego = h->st.negotiations_total;
    h->base_changed = h->st.results_changed_total;
    h->st.rounds_stored = (uint64_t)one_int(h, "SELECT count(*) FROM rounds");
    h->st.events_stored = (uint64_t)one_int(h, "SELECT count(*) FROM events");
    h->st.oldest_event_ns = one_int(h, "SELECT coalesce(min(time_ns), 0) FROM events");
    h->st.last_event_id = one_int(h, "SELECT coalesce(max(id), 0) FROM events");
    rc = ISSU_OK;
cleanup:
    sqlite3_finalize(st);
    return rc;
}

static int open_file(struct issu_hist *h)
{
    const char *dir = h->conf.state_dir;
    struct stat sb;
    size_t n = strlen(dir) + sizeof("/" ISSU_HIST_FILE);
    int rc;

    errno = 0;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        hlog(h, LOG_ERR, "history: state directory %s: %s", dir, errno ? strerror(errno) : "not a directory");
        return ISSU_ERR_IO;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        hlog(h, LOG_ERR, "history: state directory %s is not writable: %s", dir, strerror(errno));
        return ISSU_ERR_IO;
    }
    h->path = malloc(n);
    if (!h->path)
        return ISSU_ERR_NOMEM;
    snprintf(h->path, n, "%s/%s", dir, ISSU_HIST_FILE);
    ISSU_CHECK(take_lock(h, dir));
    if (sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK) {
        hlog(h, LOG_ERR, "history: cannot open %s: %s", h->path, h->db ? sqlite3_errmsg(h->db) : "no memory");
        return ISSU_ERR_IO;
    }
    rc = db_prepare(h);
    return rc;
}

static int open_memory(struct issu_hist *h)
{
    free(h->path);
    h->path = NULL;
    if (sqlite3_open_v2(":memory:", &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
        return ISSU_ERR_NOMEM;
    return db_prepare(h);
}

/* ---- writer ---- */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* The totals count on from the store's at open by this issud's own counters
 * (absolute, so a dropped round loses no count). */
static int write_round(struct issu_hist *h, const struct item *it, uint64_t *nego_total, uint64_t *changed_total,
                       int64_t *last_id)
{
    const struct issu_snapshot *s = it->cur;
    const struct issu_events *e = it->ev;
    sqlite3_stmt *rs = NULL, *es = NULL;
    uint32_t i, k, n_ok = 0, n_bad = 0, n_unk = 0;
    int64_t round;
    char chain[ISSU_CHAIN_MAX * 11 + 1];
    size_t off;
    int rc = ISSU_ERR_IO;

    for (i = 0; i < s->n_sessions; i++) {
        uint8_t r = s->sessions[i].result;
        n_ok += r == ISSU_RES_COMPATIBLE;
        n_bad += r == ISSU_RES_INCOMPATIBLE;
        n_unk += r != ISSU_RES_COMPATIBLE && r != ISSU_RES_INCOMPATIBLE;
    }
    *nego_total = h->base_nego + s->negotiations;
    *changed_total = h->base_changed + s->results_changed;
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_prepare_v2(h->db,
                           "INSERT INTO rounds(time_ns, trigger, generation, side, unique_id, peer_unique_id,"
                           " peer_state, image_name, image_version, peer_image_name, peer_image_version, verdict,"
                           " verdict_reason, sessions, compatible, incompatible, unknown, n_events, negotiations)"
                           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &rs, NULL) != SQLITE_OK)
        goto cleanup;
    sqlite3_bind_int64(rs, 1, it->time_ns);
    sqlite3_bind_int(rs, 2, (int)it->trigger);
    sqlite3_bind_int64(rs, 3, (int64_t)s->generation);
    sqlite3_bind_int(rs, 4, s->side);
    sqlite3_bind_int64(rs, 5, s->unique_id);
    sqlite3_bind_int64(rs, 6, s->peer_unique_id);
    sqlite3_bind_int(rs, 7, s->peer_state);
    bind_text(rs, 8, s->image_name);
    bind_text(rs, 9, s->image_version);
    bind_text(rs, 10, s->peer_image_name);
    bind_text(rs, 11, s->peer_image_version);
    sqlite3_bind_int(rs, 12, s->verdict);
    bind_text(rs, 13, s->verdict_reason);
    sqlite3_bind_int64(rs, 14, s->n_sessions);
    sqlite3_bind_int64(rs, 15, n_ok);
    sqlite3_bind_int64(rs, 16, n_bad);
    sqlite3_bind_int64(rs, 17, n_unk);
    sqlite3_bind_int64(rs, 18, e ? e->n : 0);
    sqlite3_bind_int64(rs, 19, (int64_t)s->negotiations);
    if (sqlite3_step(rs) != SQLITE_DONE)
        goto cleanup;
    round = sqlite3_last_insert_rowid(h->db);
    if (e && e->n) {
        if (sqlite3_prepare_v2(h->db,
                               "INSERT INTO events(round, time_ns, trigger, kind, sid, peer_sid, client_id, entity_id,"
                               " session_name, peer_unique_id, old_raw, raw, old_result, result, old_effective,"
                               " effective, gone, has_policy, old_verdict, verdict, old_peer_state, peer_state,"
                               " peer_image_name, peer_image_version, chain, verdict_reason, reason)"
                               " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               -1, &es, NULL) != SQLITE_OK)
            goto cleanup;
        for (i = 0; i < e->n; i++) {
            const struct issu_event *v = &e->ev[i];

            sqlite3_reset(es);
            sqlite3_bind_int64(es, 1, round);
            sqlite3_bind_int64(es, 2, it->time_ns);
            sqlite3_bind_int(es, 3, (int)it->trigger);
            sqlite3_bind_int(es, 4, v->kind);
            sqlite3_bind_int64(es, 5, v->sid);
            sqlite3_bind_int64(es, 6, v->peer_sid);
            sqlite3_bind_int64(es, 7, v->kind == ISSU_EV_SESSION ? v->client_id : 0);
            sqlite3_bind_int64(es, 8, v->entity_id);
            bind_text(es, 9, v->kind == ISSU_EV_SESSION ? v->session_name : NULL);
            sqlite3_bind_int64(es, 10, v->peer_unique_id);
            sqlite3_bind_int(es, 11, v->old_raw);
            sqlite3_bind_int(es, 12, v->raw);
            sqlite3_bind_int(es, 13, v->old_result);
            sqlite3_bind_int(es, 14, v->result);
            sqlite3_bind_int(es, 15, v->old_effective);
            sqlite3_bind_int(es, 16, v->effective);
            sqlite3_bind_int(es, 17, v->gone);
            sqlite3_bind_int(es, 18, v->has_policy);
            sqlite3_bind_int(es, 19, v->old_verdict);
            sqlite3_bind_int(es, 20, v->verdict);
            sqlite3_bind_int(es, 21, v->old_peer_state);
            sqlite3_bind_int(es, 22, v->peer_state);
            bind_text(es, 23, v->peer_image_name);
            bind_text(es, 24, v->peer_image_version);
            chain[0] = '\0';
            for (k = 0, off = 0; k < v->n_chain && k < ISSU_CHAIN_MAX; k++)
                off += (size_t)snprintf(chain + off, sizeof(chain) - off, "%s%" PRIu32, k ? " " : "", v->chain[k]);
            bind_text(es, 25, v->n_chain ? chain : NULL);
            bind_text(es, 26, v->kind == ISSU_EV_VERDICT ? s->verdict_reason : NULL);
            bind_text(es, 27, v->reason ? v->reason : "");
            if (sqlite3_step(es) != SQLITE_DONE)
                goto cleanup;
        }
        *last_id = sqlite3_last_insert_rowid(h->db);
    }
    if (meta_set(h, "negotiations_total", (int64_t)*nego_total) != ISSU_OK ||
        meta_set(h, "results_changed_total", (int64_t)*changed_total) != ISSU_OK)
        goto cleanup;
    if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto cleanup;
    rc = ISSU_OK;
cleanup:
    if (rc != ISSU_OK) {
        int ec = sqlite3_extended_errcode(h->db);
        uint64_t n = h->st.write_errors + 1; /* only the writer changes it */

        /* the first and then every 100th: a full disk must not flood the log */
        if (n == 1 || n % 100 == 0)
            hlog(h, LOG_ERR, "history: round of state %llu not recorded: %s%s (%llu lost so far)",
                 (unsigned long long)s->generation, sqlite3_errmsg(h->db),
                 (ec & 0xff) == SQLITE_FULL ? " (the disk or the store is full)" : "", (unsigned long long)n);
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_finalize(rs);
    sqlite3_finalize(es);
    return rc;
}

/* What one table holds beyond @p max rows or from before @p cutoff, the
 * oldest first, at most one batch (?1 rows over the count, ?2 the cutoff). */
#define PRUNE_SQL(table)                                                                                           \
    "DELETE FROM " table " WHERE id IN (SELECT id FROM " table " WHERE (?1 > 0 AND id <= (SELECT id FROM " table \
    " ORDER BY id LIMIT 1 OFFSET ?1 - 1)) OR time_ns < ?2 ORDER BY id LIMIT ?3)"

/* One batch of @p sql (PRUNE_SQL) over a table of @p stored rows; the rows deleted. */
static int64_t prune_table(struct issu_hist *h, const char *sql, uint64_t stored, uint64_t max, int64_t cutoff)
{
    sqlite3_stmt *st = NULL;
    int64_t k = stored > max ? (int64_t)(stored - max) : 0, n = 0;

    if (k > ISSU_HIST_PRUNE_BATCH)
        k = ISSU_HIST_PRUNE_BATCH;
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, k);
        sqlite3_bind_int64(st, 2, cutoff);
        sqlite3_bind_int64(st, 3, ISSU_HIST_PRUNE_BATCH);
        if (sqlite3_step(st) == SQLITE_DONE)
            n = sqlite3_changes(h->db);
    }
    sqlite3_finalize(st);
    return n;
}

/* Delete up to one batch of what retention no longer keeps; 1 when more remains. */
static int prune_batch(struct issu_hist *h)
{
    uint64_t max = h->conf.max_events, n_ev, n_ro;
    int64_t cutoff = h->conf.now() - (int64_t)h->conf.max_age_s * 1000000000;
    int64_t del_ev, del_ro;
    int more = 0;

    pthread_mutex_lock(&h->mu);
    n_ev = h->st.events_stored;
    n_ro = h->st.rounds_stored;
    pthread_mutex_unlock(&h->mu);
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return 0;
    /* the oldest first, by count then by age */
    del_ev = prune_table(h, PRUNE_SQL("events"), n_ev, max, cutoff);
    del_ro = prune_table(h, PRUNE_SQL("rounds"), n_ro, max, cutoff);
    if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        hlog(h, LOG_WARNING, "history: pruning failed: %s", sqlite3_errmsg(h->db));
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return 0;
    }
    pthread_mutex_lock(&h->mu);
    h->st.events_stored -= (uint64_t)del_ev <= h->st.events_stored ? (uint64_t)del_ev : h->st.events_stored;
    h->st.rounds_stored -= (uint64_t)del_ro <= h->st.rounds_stored ? (uint64_t)del_ro : h->st.rounds_stored;
    h->st.pruned += (uint64_t)(del_ev + del_ro);
    more = del_ev == ISSU_HIST_PRUNE_BATCH || del_ro == ISSU_HIST_PRUNE_BATCH;
    pthread_mutex_unlock(&h->mu);
    if (del_ev) {
        int64_t oldest = one_int(h, "SELECT coalesce(min(time_ns), 0) FROM events");
        pthread_mutex_lock(&h->mu);
        h->st.oldest_event_ns = oldest;
        pthread_mutex_unlock(&h->mu);
    }
    return more;
}

static void free_item(struct item *it)
{
    issu_events_unref(it->ev);
    issu_snapshot_unref(it->old);
    issu_snapshot_unref(it->cur);
    free(it);
}

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *writer_main(void *arg)
{
    struct issu_hist *h = arg;
    struct item *it;
    struct timespec ts;
    uint64_t nego_total, changed_total;
    int64_t last_id;
    int prune = 1, rc;

    for (;;) {
        pthread_mutex_lock(&h->mu);
        if (!h->head && !h->stop && !prune) {
            h->busy = 0; /* flush() returns once the writer has nothing left, pruning included */
            pthread_cond_broadcast(&h->idle_cv);
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += AGE_CHECK_MS / 1000;
            if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) != 0)
                prune = 1; /* idle: the age bound moves with the clock */
        }
        it = h->head;
        if (it) {
            h->head = it->next;
            if (!h->head)
                h->tail = NULL;
            h->queued--;
            h->queued_events -= it->ev ? it->ev->n : 0;
        } else if (h->stop) {
            h->busy = 0;
            pthread_cond_broadcast(&h->idle_cv);
            pthread_mutex_unlock(&h->mu);
            break;
        }
        h->busy = it || prune;
        pthread_mutex_unlock(&h->mu);
        if (it) {
            int64_t t0 = mono_ns(), dt;

            last_id = 0;
            pthread_mutex_lock(&h->db_mu);
            rc = write_round(h, it, &nego_total, &changed_total, &last_id);
            pthread_mutex_unlock(&h->db_mu);
            dt = mono_ns() - t0;
            hlog(h, LOG_DEBUG, "history: round of state %llu (%u events) %s in %.1f ms",
                 (unsigned long long)it->cur->generation, it->ev ? it->ev->n : 0,
                 rc == ISSU_OK ? "written" : "lost", (double)dt / 1e6);
            pthread_mutex_lock(&h->mu);
            h->st.write_ns_last = dt;
            h->st.write_ns_total += dt;
            if (dt > h->st.write_ns_max)
                h->st.write_ns_max = dt;
            if (rc == ISSU_OK) {
                h->st.negotiations_total = nego_total;
                h->st.results_changed_total = changed_total;
                h->st.rounds_stored++;
                h->st.last_generation = it->cur->generation;
                if (it->ev && it->ev->n) {
                    h->st.events_stored += it->ev->n;
                    h->st.last_event_id = last_id;
                    if (!h->st.oldest_event_ns)
                        h->st.oldest_event_ns = it->time_ns;
                }
            } else {
                h->st.write_errors++;
            }
            pthread_mutex_unlock(&h->mu);
            free_item(it);
            prune = 1;
            continue; /* writes first; prune when the queue is empty */
        }
        if (prune) {
            pthread_mutex_lock(&h->db_mu);
            prune = prune_batch(h);
            pthread_mutex_unlock(&h->db_mu);
        }
    }
    return NULL;
}

/* ---- public ---- */

int issu_hist_open(const struct issu_hist_conf *conf, struct issu_hist **out)
{
    struct issu_hist *h;
    int rc;

    *out = NULL;
    if (!conf)
        return ISSU_ERR_INVAL;
    h = calloc(1, sizeof(*h));
    if (!h)
        return ISSU_ERR_NOMEM;
    h->conf = *conf;
    h->lock_fd = -1;
    if (!h->conf.max_age_s)
        h->conf.max_age_s = ISSU_HIST_DEF_MAX_AGE_S;
    if (!h->conf.max_events)
        h->conf.max_events = ISSU_HIST_DEF_MAX_EVENTS;
    if (!h->conf.queue_max)
        h->conf.queue_max = ISSU_HIST_DEF_QUEUE;
    if (!h->conf.now)
        h->conf.now = issu_htime_now;
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->db_mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    pthread_cond_init(&h->idle_cv, NULL);
    if (conf->state_dir) {
        rc = open_file(h);
        if (rc == ISSU_OK) {
            h->st.persistent = 1;
            hlog(h, LOG_INFO, "history: %s (%" PRIu64 " rounds, %" PRIu64 " events kept; at most %" PRIu64
                 " events, %" PRIu64 " s)", h->path, h->st.rounds_stored, h->st.events_stored, h->conf.max_events,
                 h->conf.max_age_s);
        } else {
            db_close(h);
            if (conf->require) {
                hlog(h, LOG_ERR, "history: required (--require-history) but the store cannot be used");
                rc = ISSU_ERR_IO;
                goto cleanup;
            }
            hlog(h, LOG_WARNING, "history: kept in memory only (gone when issud stops): the store in %s cannot "
                 "be used", conf->state_dir);
            memset(&h->st, 0, sizeof(h->st));
            ISSU_CHECK_GOTO(open_memory(h), rc);
        }
    } else {
        ISSU_CHECK_GOTO(open_memory(h), rc);
        hlog(h, LOG_INFO, "history: kept in memory only (no --state-dir; gone when issud stops)");
    }
    *out = h;
    return ISSU_OK;
cleanup:
    issu_hist_close(h);
    return rc;
}

int issu_hist_start(struct issu_hist *h)
{
    if (h->started)
        return ISSU_ERR_INVAL;
    if (pthread_create(&h->thread, NULL, writer_main, h) != 0)
        return ISSU_ERR_IO;
    h->started = 1;
    return ISSU_OK;
}

static void on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur,
                      const struct issu_events *ev)
{
    struct issu_hist *h = arg;

    issu_hist_submit(h, issu_hub_trigger(h->hub), old, cur, ev);
}

int issu_hist_attach(struct issu_hist *h, struct issu_hub *hub)
{
    h->hub = hub;
    return issu_hub_listen(hub, on_change, h);
}

void issu_hist_submit(struct issu_hist *h, enum issu_trigger trigger, const struct issu_snapshot *old,
                      const struct issu_snapshot *cur, const struct issu_events *ev)
{
    struct item *it = NULL;
    uint64_t dropped = 0;

    pthread_mutex_lock(&h->mu);
    if (h->queued >= h->conf.queue_max ||
        (h->queued && h->queued_events + (ev ? ev->n : 0) > ISSU_HIST_QUEUE_EVENTS)) {
        dropped = ++h->st.rounds_dropped;
    } else if ((it = calloc(1, sizeof(*it)))) {
        it->trigger = trigger;
        /* a round that changed something: the change's own time, the one its
         * notifications carry; one that changed nothing: now (last_change is older) */
        it->time_ns = (int64_t)cur->last_change.tv_sec * 1000000000 + cur->last_change.tv_nsec;
        if (!ev || !ev->n || it->time_ns <= 0)
            it->time_ns = issu_htime_now();
        it->old = old ? issu_snapshot_ref((struct issu_snapshot *)old) : NULL;
        it->cur = issu_snapshot_ref((struct issu_snapshot *)cur);
        it->ev = ev ? issu_events_ref((struct issu_events *)ev) : NULL;
        if (h->tail)
            h->tail->next = it;
        else
            h->head = it;
        h->tail = it;
        h->queued++;
        h->queued_events += ev ? ev->n : 0;
        pthread_cond_signal(&h->cv);
    } else {
        dropped = ++h->st.rounds_dropped;
    }
    pthread_mutex_unlock(&h->mu);
    /* the first and then every 100th: a slow disk must not flood the log */
    if (dropped == 1 || (dropped && dropped % 100 == 0))
        hlog(h, LOG_WARNING, "history: the writer is behind (at most %u rounds or %u events wait): round of "
             "state %llu not recorded (%llu dropped so far)", h->conf.queue_max, ISSU_HIST_QUEUE_EVENTS,
             (unsigned long long)cur->generation, (unsigned long long)dropped);
}

void issu_hist_flush(struct issu_hist *h)
{
    pthread_mutex_lock(&h->mu);
    while (h->started && (h->head || h->busy))
        pthread_cond_wait(&h->idle_cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

void issu_hist_close(struct issu_hist *h)
{
    struct item *it;

    if (!h)
        return;
    if (h->started) {
        pthread_mutex_lock(&h->mu);
        h->stop = 1;
        pthread_cond_signal(&h->cv);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->thread, NULL);
    }
    while ((it = h->head)) {
        h->head = it->next;
        free_item(it);
    }
    if (h->db && h->path)
        sqlite3_exec(h->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    db_close(h);
    free(h->path);
    pthread_cond_destroy(&h->cv);
    pthread_cond_destroy(&h->idle_cv);
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->db_mu);
    free(h);
}

void issu_hist_base(const struct issu_hist *h, uint64_t *negotiations, uint64_t *results_changed)
{
    *negotiations = h->base_nego;
    *results_changed = h->base_changed;
}

void issu_hist_stats(struct issu_hist *h, struct issu_hist_stats *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->st;
    pthread_mutex_unlock(&h->mu);
}

/* ---- queries ---- */

static char *col_str(sqlite3_stmt *st, int i, int *oom)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    char *s;

    if (!t)
        return NULL;
    s = strdup((const char *)t);
    if (!s)
        *oom = 1;
    return s;
}

/* "2011 2007 4" back into ids; stops at the first malformed one. */
static uint32_t *parse_chain(const char *t, uint32_t *n, int *oom)
{
    uint32_t *c;
    unsigned long v;
    char *end;

    *n = 0;
    if (!t || !*t)
        return NULL;
    c = calloc(ISSU_CHAIN_MAX, sizeof(*c));
    if (!c) {
        *oom = 1;
        return NULL;
    }
    while (*t && *n < ISSU_CHAIN_MAX) {
        if (*t < '0' || *t > '9')
            break;
        errno = 0;
        v = strtoul(t, &end, 10);
        if (errno || v > UINT32_MAX || (*end && *end != ' '))
            break;
        c[(*n)++] = (uint32_t)v;
        t = *end ? end + 1 : end;
    }
    return c;
}

static void free_round(struct issu_hist_round *r)
{
    free(r->image_name);
    free(r->image_version);
    free(r->peer_image_name);
    free(r->peer_image_version);
    free(r->verdict_reason);
}

static void free_event(struct issu_hist_event *e)
{
    free(e->chain);
    free(e->session_name);
    free(e->peer_image_name);
    free(e->peer_image_version);
    free(e->verdict_reason);
    free(e->reason);
}

void issu_hist_result_free(struct issu_hist_result *r)
{
    uint32_t i;

    if (!r)
        return;
    for (i = 0; i < r->n_rounds; i++)
        free_round(&r->rounds[i]);
    for (i = 0; i < r->n_events; i++)
        free_event(&r->events[i]);
    free(r->rounds);
    free(r->events);
    free(r);
}

#define EV_COLS                                                                                             \
    "id, round, time_ns, trigger, kind, sid, peer_sid, client_id, entity_id, session_name, peer_unique_id,"  \
    " old_raw, raw, old_result, result, old_effective, effective, gone, has_policy, old_verdict, verdict,"   \
    " old_peer_state, peer_state, peer_image_name, peer_image_version, chain, verdict_reason, reason"
#define RO_COLS                                                                                             \
    "id, time_ns, trigger, verdict, peer_state, side, unique_id, peer_unique_id, image_name, image_version," \
    " peer_image_name, peer_image_version, verdict_reason, sessions, compatible, incompatible, unknown,"     \
    " n_events, negotiations"

/* Double the array *@p a of *@p cap items of @p size bytes (@p first when empty). */
static int grow(void **a, uint32_t *cap, uint32_t first, size_t size)
{
    uint32_t n = *cap ? *cap * 2 : first;
    void *p;

    if (n < *cap || !(p = realloc(*a, (size_t)n * size)))
        return ISSU_ERR_NOMEM;
    *a = p;
    *cap = n;
    return ISSU_OK;
}

static int read_events(struct issu_hist *h, const struct issu_hist_query *q, uint32_t limit,
                       struct issu_hist_result *r)
{
    char sql[1024];
    sqlite3_stmt *st = NULL;
    uint32_t cap = 0;
    int oom = 0, rc = ISSU_ERR_IO, s;

    snprintf(sql, sizeof(sql),
             "SELECT " EV_COLS " FROM events WHERE time_ns >= ?1 AND (?2 = 0 OR time_ns < ?2) AND id > ?3"
             " AND (?4 = 0 OR client_id = ?4) ORDER BY id %s LIMIT ?5",
             q->newest ? "DESC" : "ASC");
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    sqlite3_bind_int64(st, 1, q->since_ns);
    sqlite3_bind_int64(st, 2, q->until_ns);
    sqlite3_bind_int64(st, 3, q->after_id);
    sqlite3_bind_int64(st, 4, q->client_id);
    sqlite3_bind_int64(st, 5, (int64_t)limit + 1);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct issu_hist_event *e;

        if (r->n_events == limit) {
            r->truncated = 1;
            break;
        }
        if (r->n_events == cap)
            ISSU_CHECK_GOTO(grow((void **)&r->events, &cap, 64, sizeof(*r->events)), rc);
        e = &r->events[r->n_events++];
        memset(e, 0, sizeof(*e));
        e->id = sqlite3_column_int64(st, 0);
        e->round = sqlite3_column_int64(st, 1);
        e->time_ns = sqlite3_column_int64(st, 2);
        e->trigger = (uint8_t)sqlite3_column_int(st, 3);
        e->kind = (uint8_t)sqlite3_column_int(st, 4);
        e->sid = (uint32_t)sqlite3_column_int64(st, 5);
        e->peer_sid = (uint32_t)sqlite3_column_int64(st, 6);
        e->client_id = (uint32_t)sqlite3_column_int64(st, 7);
        e->entity_id = (uint32_t)sqlite3_column_int64(st, 8);
        e->session_name = col_str(st, 9, &oom);
        e->peer_unique_id = (uint32_t)sqlite3_column_int64(st, 10);
        e->old_raw = (uint8_t)sqlite3_column_int(st, 11);
        e->raw = (uint8_t)sqlite3_column_int(st, 12);
        e->old_result = (uint8_t)sqlite3_column_int(st, 13);
        e->result = (uint8_t)sqlite3_column_int(st, 14);
        e->old_effective = (uint8_t)sqlite3_column_int(st, 15);
        e->effective = (uint8_t)sqlite3_column_int(st, 16);
        e->gone = (uint8_t)sqlite3_column_int(st, 17);
        e->has_policy = (uint8_t)sqlite3_column_int(st, 18);
        e->old_verdict = (uint8_t)sqlite3_column_int(st, 19);
        e->verdict = (uint8_t)sqlite3_column_int(st, 20);
        e->old_peer_state = (uint8_t)sqlite3_column_int(st, 21);
        e->peer_state = (uint8_t)sqlite3_column_int(st, 22);
        e->peer_image_name = col_str(st, 23, &oom);
        e->peer_image_version = col_str(st, 24, &oom);
        e->chain = parse_chain((const char *)sqlite3_column_text(st, 25), &e->n_chain, &oom);
        e->verdict_reason = col_str(st, 26, &oom);
        e->reason = col_str(st, 27, &oom);
        if (oom) {
            rc = ISSU_ERR_NOMEM;
            goto cleanup;
        }
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        goto cleanup;
    if (q->newest) { /* oldest first */
        for (uint32_t i = 0; i < r->n_events / 2; i++) {
            struct issu_hist_event t = r->events[i];
            r->events[i] = r->events[r->n_events - 1 - i];
            r->events[r->n_events - 1 - i] = t;
        }
    }
    rc = ISSU_OK;
cleanup:
    if (rc == ISSU_ERR_IO)
        hlog(h, LOG_WARNING, "history: query failed: %s", sqlite3_errmsg(h->db));
    sqlite3_finalize(st);
    return rc;
}

static int read_rounds(struct issu_hist *h, const struct issu_hist_query *q, uint32_t limit,
                       struct issu_hist_result *r)
{
    char sql[1024];
    sqlite3_stmt *st = NULL;
    uint32_t cap = 0;
    int oom = 0, rc = ISSU_ERR_IO, s;

    snprintf(sql, sizeof(sql),
             "SELECT " RO_COLS " FROM rounds WHERE time_ns >= ?1 AND (?2 = 0 OR time_ns < ?2)"
             " AND (?3 = 0 OR id IN (SELECT round FROM events WHERE client_id = ?3 AND time_ns >= ?1))"
             " ORDER BY id %s LIMIT ?4",
             q->newest ? "DESC" : "ASC");
    if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto cleanup;
    sqlite3_bind_int64(st, 1, q->since_ns);
    sqlite3_bind_int64(st, 2, q->until_ns);
    sqlite3_bind_int64(st, 3, q->client_id);
    sqlite3_bind_int64(st, 4, limit);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        struct issu_hist_round *o;

        if (r->n_rounds == cap)
            ISSU_CHECK_GOTO(grow((void **)&r->rounds, &cap, 16, sizeof(*r->rounds)), rc);
        o = &r->rounds[r->n_rounds++];
        memset(o, 0, sizeof(*o));
        o->id = sqlite3_column_int64(st, 0);
        o->time_ns = sqlite3_column_int64(st, 1);
        o->trigger = (uint8_t)sqlite3_column_int(st, 2);
        o->verdict = (uint8_t)sqlite3_column_int(st, 3);
        o->peer_state = (uint8_t)sqlite3_column_int(st, 4);
        o->side = (uint8_t)sqlite3_column_int(st, 5);
        o->unique_id = (uint32_t)sqlite3_column_int64(st, 6);
        o->peer_unique_id = (uint32_t)sqlite3_column_int64(st, 7);
        o->image_name = col_str(st, 8, &oom);
        o->image_version = col_str(st, 9, &oom);
        o->peer_image_name = col_str(st, 10, &oom);
        o->peer_image_version = col_str(st, 11, &oom);
        o->verdict_reason = col_str(st, 12, &oom);
        o->sessions = (uint32_t)sqlite3_column_int64(st, 13);
        o->compatible = (uint32_t)sqlite3_column_int64(st, 14);
        o->incompatible = (uint32_t)sqlite3_column_int64(st, 15);
        o->unknown = (uint32_t)sqlite3_column_int64(st, 16);
        o->n_events = (uint32_t)sqlite3_column_int64(st, 17);
        o->negotiations = (uint64_t)sqlite3_column_int64(st, 18);
        if (oom) {
            rc = ISSU_ERR_NOMEM;
            goto cleanup;
        }
    }
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        goto cleanup;
    if (q->newest) {
        for (uint32_t i = 0; i < r->n_rounds / 2; i++) {
            struct issu_hist_round t = r->rounds[i];
            r->rounds[i] = r->rounds[r->n_rounds - 1 - i];
            r->rounds[r->n_rounds - 1 - i] = t;
        }
    }
    rc = ISSU_OK;
cleanup:
    if (rc == ISSU_ERR_IO)
        hlog(h, LOG_WARNING, "history: query failed: %s", sqlite3_errmsg(h->db));
    sqlite3_finalize(st);
    return rc;
}

int issu_hist_query(struct issu_hist *h, const struct issu_hist_query *q, struct issu_hist_result **out)
{
    struct issu_hist_result *r;
    uint32_t limit;
    int rc;

    *out = NULL;
    if (!h || !q)
        return ISSU_ERR_INVAL;
    limit = q->limit && q->limit < ISSU_HIST_QUERY_MAX ? q->limit : ISSU_HIST_QUERY_MAX;
    r = calloc(1, sizeof(*r));
    if (!r)
        return ISSU_ERR_NOMEM;
    pthread_mutex_lock(&h->db_mu);
    rc = read_events(h, q, limit, r);
    if (rc == ISSU_OK && !q->no_rounds)
        rc = read_rounds(h, q, limit, r);
    pthread_mutex_unlock(&h->db_mu);
    if (rc != ISSU_OK) {
        issu_hist_result_free(r);
        return rc;
    }
    *out = r;
    return ISSU_OK;
}
