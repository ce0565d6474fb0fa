/*
 * fuzz_ncframe.c - libFuzzer target: the bytes a NETCONF client sends, into
 * issud's framing reader (agent/netconf/nc_framing.c), as the front reads
 * them from a socket.
 *
 * Input: byte 0 the piece size the stream is fed in (1..256: reads split
 * anywhere), byte 1 bit 0 whether the framer starts chunked (else the hello
 * in end-of-message framing first, then chunked when it offers base:1.1),
 * the rest is the stream; the limit is 4 KiB so oversizing is reached.
 * Checked: no crash or leak; every complete message is NUL-terminated and
 * within the limit; a message is never longer than the bytes consumed; the
 * message-id and hello scanners run on every message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "nc_framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issu_nc_framer f;
    size_t step, off = 0, used, consumed = 0, k;
    int complete, hello_done;

    if (size < 2)
        return 0;
    step = (size_t)data[0] + 1;
    issu_nc_framer_init(&f, LIMIT);
    hello_done = data[1] & 1;
    if (hello_done)
        issu_nc_framer_set_chunked(&f);
    data += 2;
    size -= 2;
    while (off < size) {
        k = size - off < step ? size - off : step;
        if (issu_nc_framer_feed(&f, (const char *)data + off, k, &used, &complete) != ISSU_OK) {
            if (!f.why)
                abort(); /* NOMEM aside, every refusal says why */
            break;
        }
        if (used > k)
            abort();
        off += used;
        consumed += used;
        if (!complete)
            continue;
        if (f.msg.len > LIMIT || f.msg.len > consumed || f.msg.data[f.msg.len] != '\0')
            abort();
        (void)issu_nc_rpc_lacks_message_id((const char *)f.msg.data, f.msg.len);
        if (!hello_done) {
            if (issu_nc_hello_offers_11((const char *)f.msg.data, f.msg.len))
                issu_nc_framer_set_chunked(&f);
            hello_done = 1;
        }
        issu_nc_framer_next(&f);
        consumed = 0;
    }
    issu_nc_framer_free(&f);
    return 0;
}
