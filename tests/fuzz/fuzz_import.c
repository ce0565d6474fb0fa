/*
 * fuzz_import.c - libFuzzer target: captured `show issu` text as issuctl
 * import reads it (agent/cli/import.c), bytes from a router's terminal.
 *
 * Checked: no crash or leak; the warnings kept never exceed
 * ISSU_IMPORT_MAX_WARNINGS and never exceed those counted; every client
 * and negotiated view is found again by its id.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "import.h"
#include "issu_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issu_capture *c = NULL;
    size_t i;

    if (issu_capture_new(&c) != ISSU_OK)
        return 0;
    if (issu_capture_feed(c, "fuzz", (const char *)data, size) == ISSU_OK) {
        if (c->nwarn > ISSU_IMPORT_MAX_WARNINGS || c->nwarn > c->nwarn_total)
            abort();
        for (i = 0; i < c->nclients; i++)
            if (issu_capture_client(c, c->clients[i].id) != &c->clients[i])
                abort();
        for (i = 0; i < c->nnegs; i++)
            if (issu_capture_neg(c, c->negs[i].sid) != &c->negs[i])
                abort();
    }
    issu_capture_free(c);
    return 0;
}
