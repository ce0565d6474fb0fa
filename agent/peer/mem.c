/*
 * mem.c - the in-memory transport (mem.h).
 */
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

static int mem_send(void *ctx, const uint8_t *data, size_t len)
{
    return issu_buf_append(ctx, data, len);
}

struct issu_transport issu_mem_transport(struct issu_mem_pair *p, int i)
{
    struct issu_transport t;

    t.send = mem_send;
    t.ctx = &p->q[i ? 0 : 1]; /* endpoint i sends to the other's queue */
    return t;
}

int issu_mem_pair_run(struct issu_mem_pair *p)
{
    struct issu_buf in = {0};
    int rc = ISSU_OK, i, busy = 1;

    while (busy && rc == ISSU_OK) {
        busy = 0;
        for (i = 0; i < 2 && rc == ISSU_OK; i++) {
            struct issu_buf tmp;
            if (!p->q[i].len)
                continue;
            busy = 1;
            /* take the queue: what the endpoint sends meanwhile goes to a fresh one */
            tmp = p->q[i];
            p->q[i] = in;
            in = tmp;
            p->bytes += in.len;
            rc = issu_endpoint_input(p->ep[i], in.data, in.len);
            in.len = 0;
        }
    }
    issu_buf_free(&in);
    return rc;
}

int issu_mem_pair_connect(struct issu_mem_pair *p)
{
    ISSU_CHECK(issu_endpoint_connected(p->ep[0]));
    ISSU_CHECK(issu_endpoint_connected(p->ep[1]));
    return issu_mem_pair_run(p);
}

void issu_mem_pair_clear(struct issu_mem_pair *p)
{
    issu_buf_free(&p->q[0]);
    issu_buf_free(&p->q[1]);
}

int issu_mem_negotiate(struct issu_image *active, uint32_t active_uid, struct issu_image *standby,
                       uint32_t standby_uid, issu_log_cb log, void *log_arg,
                       struct issu_snapshot **active_view, struct issu_snapshot **standby_view)
{
    struct issu_mem_pair p;
    struct issu_endpoint_conf c;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    c.log = log;
    c.arg = log_arg;
    c.unique_id = active_uid;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = active;
    c.transport = issu_mem_transport(&p, 0);
    ISSU_CHECK_GOTO(issu_endpoint_new(&c, &p.ep[0]), rc);
    c.unique_id = standby_uid;
    c.side = ISSU_SIDE_STANDBY;
    c.image = standby;
    c.transport = issu_mem_transport(&p, 1);
    ISSU_CHECK_GOTO(issu_endpoint_new(&c, &p.ep[1]), rc);
    ISSU_CHECK_GOTO(issu_mem_pair_connect(&p), rc);
    if (issu_endpoint_busy(p.ep[0]) || issu_endpoint_busy(p.ep[1]))
        ISSU_CHECK_GOTO(ISSU_ERR_PROTO, rc); /* quiet but unfinished: a protocol bug */
    if (active_view)
        *active_view = issu_endpoint_snapshot(p.ep[0]);
    if (standby_view)
        *standby_view = issu_endpoint_snapshot(p.ep[1]);
cleanup:
    issu_endpoint_free(p.ep[0]);
    issu_endpoint_free(p.ep[1]);
    issu_mem_pair_clear(&p);
    return rc;
}
