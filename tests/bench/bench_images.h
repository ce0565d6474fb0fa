/*
 * bench_images.h - the two generated images every negotiation benchmark uses
 * (bench_negotiate: in memory; bench_peer: over TCP), so their figures compare.
 *
 * Active: versions 1~3 per message type, capability entries {1,2}; standby:
 * 2~4 and {1,2,3}: every session negotiates version 3 and entry 2, COMPATIBLE.
 * 4 base clients; every other client has one of them as prerequisite.
 */
#ifndef ISSU_BENCH_IMAGES_H
#define ISSU_BENCH_IMAGES_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "image.h"
#include "issu_err.h"

#define N_TYPES 8 /* message types per session */
#define N_CAPS 4  /* capability types per session */

static void bench_die(const char *prog, const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, issu_strerror(rc));
    exit(1);
}

/* n_clients x n_ent sessions; exits with a message on failure. */
static struct issu_image *bench_image(const char *prog, int standby, uint32_t n_clients, uint32_t n_ent)
{
    struct issu_image *img = issu_image_new(standby ? "bench-candidate" : "bench-running", "1.0");
    char name[64], err[256];
    uint32_t i, e, t, v;

    if (!img)
        bench_die(prog, "image", ISSU_ERR_NOMEM);
    for (i = 1; i <= n_clients; i++) {
        struct issu_client *c;
        struct issu_msg_group *g;
        struct issu_cap_group *cg;

        snprintf(name, sizeof name, "bench client %u", i);
        c = issu_image_add_client(img, 10000 + i, name);
        if (!c || !(g = issu_client_add_msg_group(c, 1)))
            bench_die(prog, "client", ISSU_ERR_NOMEM);
        c->base = i <= 4;
        if (i > 4 && issu_client_add_prereq(c, 10001 + (i % 4)))
            bench_die(prog, "prereq", ISSU_ERR_NOMEM);
        for (t = 1; t <= N_TYPES; t++) {
            struct issu_msg_type *mt = issu_msg_group_add_type(g, t);
            if (!mt)
                bench_die(prog, "type", ISSU_ERR_NOMEM);
            for (v = standby ? 2 : 1; v <= (standby ? 4u : 3u); v++)
                if (issu_msg_type_add_version(mt, v, 64 * v + t))
                    bench_die(prog, "version", ISSU_ERR_NOMEM);
        }
        if (!(cg = issu_client_add_cap_group(c, 1)))
            bench_die(prog, "cap group", ISSU_ERR_NOMEM);
        for (t = 0; t < N_CAPS; t++) {
            struct issu_cap_type *ct = issu_cap_group_add_type(cg, t, t == 0);
            if (!ct || issu_cap_type_add_entry(ct, 1) || issu_cap_type_add_entry(ct, 2) ||
                (standby && issu_cap_type_add_entry(ct, 3)))
                bench_die(prog, "cap type", ISSU_ERR_NOMEM);
        }
        for (e = 1; e <= n_ent; e++) {
            struct issu_entity *en;
            snprintf(name, sizeof name, "bench session %u/%u", i, e);
            if (!(en = issu_client_add_entity(c, e, name)))
                bench_die(prog, "entity", ISSU_ERR_NOMEM);
            en->msg_group = 1;
            en->cap_group = 1;
        }
    }
    if (issu_image_validate(img, err, sizeof err)) {
        fprintf(stderr, "%s: invalid image: %s\n", prog, err);
        exit(1);
    }
    return img;
}

/* --clients N --entities M --runs R over the caller's defaults; 0, or 2 after a usage message. */
static int bench_args(int argc, char **argv, const char *prog, uint32_t *n_clients, uint32_t *n_ent, int *runs)
{
    static const struct option opts[] = {
        {"clients", required_argument, NULL, 'c'},
        {"entities", required_argument, NULL, 'e'},
        {"runs", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    while ((opt = getopt_long(argc, argv, "c:e:r:", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': *n_clients = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'e': *n_ent = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 'r': *runs = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: %s [--clients N] [--entities M] [--runs R]\n", argv[0]);
            return 2;
        }
    }
    if (!*n_clients || !*n_ent || *runs < 1 || *n_clients > 100000 || *n_ent > 1000) {
        fprintf(stderr, "%s: clients (1..100000), entities (1..1000) and runs (>0) please\n", prog);
        return 2;
    }
    return 0;
}

#endif
