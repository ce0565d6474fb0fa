/*
 * gen_codec_corpus.c - writes the seed corpus of fuzz_codec (not built by
 * CMake; run by hand when the protocol changes):
 *
 *   cc -std=c11 -D_GNU_SOURCE -Iagent/core -Iagent/peer -Itests/fuzz \
 *      tests/fuzz/gen_codec_corpus.c build/lib/libissu_peer.a build/lib/libissu_core.a \
 *      -o /tmp/gen_codec_corpus && /tmp/gen_codec_corpus tests/fuzz/corpus/codec
 *
 * It runs the fuzz target's two images through a real exchange and saves
 * each leg with the mode byte and chunk byte fuzz_codec.c expects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_img.h"
#include "endpoint.h"
#include "mem.h"

static void
save(const char *dir, const char *name, int mode, int chunk, const struct issu_buf *b)
{
    char path[1024];
    FILE *f;
    unsigned char hdr[2] = {(unsigned char)mode, (unsigned char)chunk};

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!(f = fopen(path, "wb")) || fwrite(hdr, 1, 2, f) != 2 ||
            (b->len && fwrite(b->data, 1, b->len, f) != b->len) || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static void
copy(struct issu_buf *dst, const struct issu_buf *src)
{
    dst->data = malloc(src->len + 1);
    if (!dst->data)
        exit(1);
    memcpy(dst->data, src->data, src->len);
    dst->len = dst->cap = src->len;
}

int
main(int argc, char **argv)
{
    struct issu_image *a = fz_image(0), *s = fz_image(1);
    struct issu_mem_pair p;
    struct issu_endpoint_conf c;
    struct issu_buf intro_a, intro_s, round_a, answers_s, all = {0}, misc = {0};

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    c.unique_id = 4;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.transport = issu_mem_transport(&p, 0);
    if (issu_endpoint_new(&c, &p.ep[0]))
        return 1;
    c.unique_id = 7;
    c.side = ISSU_SIDE_STANDBY;
    c.image = s;
    c.transport = issu_mem_transport(&p, 1);
    if (issu_endpoint_new(&c, &p.ep[1]))
        return 1;
    if (issu_endpoint_connected(p.ep[0]) || issu_endpoint_connected(p.ep[1]))
        return 1;
    copy(&intro_a, &p.q[1]);
    copy(&intro_s, &p.q[0]);
    p.q[0].len = p.q[1].len = 0;
    /* the passive hears the primary's intro; the primary the passive's, and starts round 1 */
    if (issu_endpoint_input(p.ep[1], intro_a.data, intro_a.len) ||
            issu_endpoint_input(p.ep[0], intro_s.data, intro_s.len))
        return 1;
    copy(&round_a, &p.q[1]);
    p.q[1].len = 0;
    if (issu_endpoint_input(p.ep[1], round_a.data, round_a.len))
        return 1;
    copy(&answers_s, &p.q[0]);

    save(argv[1], "decode-primary-stream", 0, 255, &intro_a);
    save(argv[1], "decode-round", 0, 255, &round_a);
    save(argv[1], "decode-answers", 0, 255, &answers_s);
    save(argv[1], "passive-round", 1, 255, &round_a);
    save(argv[1], "passive-round-split7", 1, 6, &round_a);
    save(argv[1], "primary-answers", 2, 255, &answers_s);
    save(argv[1], "primary-answers-bytewise", 2, 0, &answers_s);
    /* a fresh endpoint hearing a whole primary's side */
    if (issu_enc_keepalive(&all))
        return 1;
    all.data = realloc(all.data, all.len + intro_a.len + round_a.len);
    if (!all.data)
        return 1;
    memcpy(all.data + all.len, intro_a.data, intro_a.len);
    memcpy(all.data + all.len + intro_a.len, round_a.data, round_a.len);
    all.len += intro_a.len + round_a.len;
    save(argv[1], "fresh-primary-side", 3, 255, &all);
    /* the other messages: renegotiation requests both ways, keepalive, error */
    if (issu_enc_reneg(&misc, 2011, 1) || issu_enc_keepalive(&misc) || issu_enc_reneg(&misc, 0, 0) ||
            issu_enc_round(&misc, ISSU_MSG_ROUND_ACK, 1, 1) || issu_enc_error(&misc, 2, "giving up"))
        return 1;
    save(argv[1], "primary-misc", 2, 255, &misc);
    save(argv[1], "decode-misc", 0, 255, &misc);

    issu_endpoint_free(p.ep[0]);
    issu_endpoint_free(p.ep[1]);
    issu_mem_pair_clear(&p);
    issu_buf_free(&intro_a);
    issu_buf_free(&intro_s);
    issu_buf_free(&round_a);
    issu_buf_free(&answers_s);
    issu_buf_free(&all);
    issu_buf_free(&misc);
    issu_image_free(a);
    issu_image_free(s);
    return 0;
}
