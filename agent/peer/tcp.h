/*
 * tcp.h - the TCP link: one endpoint talking to its peer issud.
 *
 * A link either listens (ADDR:PORT, "[::1]:PORT" for IPv6) or connects and
 * reconnects with a backoff (100 ms doubling to 5 s, with jitter). Every
 * connection first runs the PSK handshake of auth.h within its own deadline
 * (auth_ms); only then is the endpoint told it is connected, and the codec
 * stream travels in secure frames. Keepalives go out after
 * ISSU_TCP_KEEPALIVE_MS without a frame; a peer silent for ISSU_TCP_SILENCE_MS
 * is lost. Whatever goes wrong (refused key, garbage, oversized or tampered
 * frames, a codec error, a peer that never finishes) is logged with the
 * peer's address and the connection dropped; the endpoint then marks its
 * sessions down (issu_endpoint_peer_lost).
 *
 * A listener authenticates up to pending_max connections at once, so that a
 * stranger who keeps connecting cannot hold the door: when all are taken, a
 * new connection pushes out the oldest pending one of the host with the most
 * pending connections. The first to authenticate becomes the link and the
 * other pending ones are closed; while a link is up, new connections are
 * accepted, logged and closed. Lines about unauthenticated connections are
 * rate-limited: one per reason per ISSU_TCP_LOG_INTERVAL_MS, the next one
 * telling how many were not logged.
 *
 * No thread: the owner polls the link's fds (issu_tcp_prepare) and hands the
 * results back (issu_tcp_process) on the thread that owns the endpoint.
 */
#ifndef ISSU_TCP_H
#define ISSU_TCP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"

#define ISSU_TCP_AUTH_MS 5000         /**< default deadline to authenticate */
#define ISSU_TCP_AUTH_MS_MAX 300000
#define ISSU_TCP_PENDING_DEFAULT 32   /**< listener: unauthenticated connections at once */
#define ISSU_TCP_PENDING_MAX 1024
#define ISSU_TCP_LOG_INTERVAL_MS 1000 /**< one line per reason about strangers per interval */
#define ISSU_TCP_KEEPALIVE_MS 1000
#define ISSU_TCP_SILENCE_MS 3500
#define ISSU_TCP_BACKOFF_MIN_MS 100
#define ISSU_TCP_BACKOFF_MAX_MS 5000
#define ISSU_TCP_OUT_MAX (64u << 20) /**< unsent bytes beyond this drop the peer */

struct issu_tcp_conf {
    const char *listen;   /**< ADDR:PORT to listen on, or NULL */
    const char *connect;  /**< ADDR:PORT to connect to, or NULL (exactly one is set) */
    const uint8_t *psk;   /**< copied */
    size_t psk_len;
    unsigned pending_max; /**< listener: 1..ISSU_TCP_PENDING_MAX; 0 = ISSU_TCP_PENDING_DEFAULT */
    unsigned auth_ms;     /**< connect + handshake deadline; 0 = ISSU_TCP_AUTH_MS */
    issu_log_cb log;      /**< may be NULL */
    void *log_arg;
};

struct issu_tcp;

/** Parse "A.B.C.D:PORT", "[v6]:PORT" or "name:PORT" (resolved once). */
int issu_tcp_parse_addr(const char *s, void *sockaddr_storage, unsigned *len);

/** Create a link; a listening link binds now (errors are logged and returned). */
int issu_tcp_new(const struct issu_tcp_conf *conf, struct issu_tcp **out);

/** The transport to create the endpoint with (sends are sealed and queued). */
struct issu_transport issu_tcp_transport(struct issu_tcp *t);

/** Give the link its endpoint (once, before the first prepare). */
void issu_tcp_attach(struct issu_tcp *t, struct issu_endpoint *ep);

/** The port actually bound (listening link; useful with port 0). */
int issu_tcp_port(const struct issu_tcp *t);

/** Is an authenticated peer connected? */
int issu_tcp_up(const struct issu_tcp *t);

/** How many fds issu_tcp_prepare may fill (fixed for the life of the link). */
int issu_tcp_nfds(const struct issu_tcp *t);

/**
 * Fill @p fds (room for issu_tcp_nfds) with what to poll; *n gets the count.
 * *timeout_ms is lowered to the next timer (never raised; -1 = none).
 */
void issu_tcp_prepare(struct issu_tcp *t, struct pollfd *fds, int *n, int *timeout_ms);

/** Handle poll results for the fds of the last prepare, and due timers. */
void issu_tcp_process(struct issu_tcp *t, const struct pollfd *fds, int n);

/** Close everything (the endpoint is not told). NULL is a no-op. */
void issu_tcp_free(struct issu_tcp *t);

#endif
