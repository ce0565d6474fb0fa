/*
 * codec_img.h - the two small images the codec fuzz target and its corpus
 * generator share: a few clients with policies, prerequisites, several
 * entities, capability entries, and one client on one side only, so that
 * fuzzed input reaches every branch of the endpoint's protocol.
 */
#ifndef ISSU_FUZZ_CODEC_IMG_H
#define ISSU_FUZZ_CODEC_IMG_H

#include <stdint.h>
#include <stdlib.h>

#include "image.h"

static struct issu_client *
fz_client(struct issu_image *img, uint32_t id, const char *name, uint32_t lo, uint32_t hi, uint32_t n_ent)
{
    struct issu_client *c = issu_image_add_client(img, id, name);
    struct issu_msg_type *t;
    struct issu_cap_type *ct;
    uint32_t v, e;

    if (!c || !issu_client_add_msg_group(c, 1) || !issu_client_add_cap_group(c, 1))
        abort();
    for (e = 1; e <= n_ent; e++) {
        struct issu_entity *en = issu_client_add_entity(c, e, "fuzz session");
        if (!en)
            abort();
        en->msg_group = 1;
        en->cap_group = 1;
    }
    if (!(t = issu_msg_group_add_type(&c->msg_groups[0], 1)))
        abort();
    for (v = lo; v <= hi; v++)
        if (issu_msg_type_add_version(t, v, 10 * v))
            abort();
    if (!(t = issu_msg_group_add_type(&c->msg_groups[0], 7)) || issu_msg_type_add_version(t, 1, 0))
        abort();
    if (!(ct = issu_cap_group_add_type(&c->cap_groups[0], 0, 0)) || issu_cap_type_add_entry(ct, 1) ||
            issu_cap_type_add_entry(ct, 2))
        abort();
    if (!issu_cap_group_add_type(&c->cap_groups[0], 3, 0))
        abort();
    return c;
}

/* @p standby: the candidate image (newer LDP range, an extra client). */
static struct issu_image *
fz_image(int standby)
{
    struct issu_image *img = issu_image_new(standby ? "candidate" : "running", standby ? "2.0" : "1.0");
    struct issu_client *c;
    char err[256];

    if (!img)
        abort();
    fz_client(img, 3, "ISSU RF", 1, 1, 1)->base = 1;
    fz_client(img, 4, "ISSU CF client", 1, 1, 1)->base = 1;
    c = fz_client(img, 2007, "ISSU LSD Label Mgr HA Client", 1, standby ? 3 : 2, 2);
    c->policy = ISSU_POLICY_ENFORCE;
    if (issu_client_add_prereq(c, 3) || issu_client_add_prereq(c, 4))
        abort();
    c = fz_client(img, 2011, "ISSU LDP Client", standby ? 2 : 1, standby ? 3 : 2, 1);
    c->policy = standby ? ISSU_POLICY_ALLOW_DEGRADED : ISSU_POLICY_NONE;
    c->entities[0].session_id = standby ? 34 : 46;
    if (issu_client_add_prereq(c, 2007))
        abort();
    if (standby)
        fz_client(img, 2100, "ISSU MPLS TE HA Client", 1, 1, 1)->optional = 1;
    if (issu_image_validate(img, err, sizeof err))
        abort();
    return img;
}

#endif
