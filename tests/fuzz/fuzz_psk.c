/*
 * fuzz_psk.c - libFuzzer target: untrusted bytes as the content of a PSK
 * file, into the parser issud runs on --psk-file (agent/peer/auth.c).
 *
 * The whole input is the file. Accepted: the key is the input with at most
 * one trailing "\n" or "\r\n" removed, ISSU_PSK_MIN..ISSU_PSK_MAX bytes, and
 * a handshake runs on it. Refused: no key, and a reason. Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "issu_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *key = NULL;
    size_t len = 0, want = size;
    struct issu_sec s;
    char err[256] = "";
    int rc;

    if (want && data[want - 1] == '\n') {
        want--;
        if (want && data[want - 1] == '\r')
            want--;
    }
    rc = issu_psk_parse(data, size, &key, &len, err, sizeof(err));
    if (rc != ISSU_OK) {
        if (rc != ISSU_ERR_INVAL || key || len || !err[0] || (want >= ISSU_PSK_MIN && want <= ISSU_PSK_MAX))
            abort();
        return 0;
    }
    if (!key || len != want || len < ISSU_PSK_MIN || len > ISSU_PSK_MAX || memcmp(key, data, len))
        abort();
    /* what the daemon does next with it: the key opens a handshake */
    if (issu_sec_init(&s, ISSU_SEC_RESPONDER, key, len) != ISSU_OK)
        abort();
    issu_sec_clear(&s);
    issu_psk_free(key, len);
    return 0;
}
