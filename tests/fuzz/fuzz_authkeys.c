/*
 * fuzz_authkeys.c - libFuzzer target: an authorized_keys file into issud's
 * parser (agent/netconf/nc_ssh.c, issu_nc_authkeys_parse), as given with
 * --ssh-authorized-keys.
 *
 * Input: byte 0 bit 0 whether --ssh-user is set, the rest is the file.
 * Checked: no crash, no leak; on success at least one key, each with a
 * user (the --ssh-user when set).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "nc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issu_nc nc;
    struct issu_nc_authkey *keys = NULL;
    size_t n = 0, i;
    const char *user;
    int rc;

    if (size < 1 || size > ISSU_NC_AUTHKEYS_MAX_SIZE)
        return 0;
    memset(&nc, 0, sizeof(nc)); /* no log hook: messages are dropped */
    user = data[0] & 1 ? "operator" : NULL;
    rc = issu_nc_authkeys_parse(&nc, "fuzz", (const char *)data + 1, size - 1, user, &keys, &n);
    if (rc == ISSU_OK && !n)
        abort();
    for (i = 0; i < n; i++) {
        if (!keys[i].user || !keys[i].user[0] || (user && strcmp(keys[i].user, user)))
            abort();
        ssh_key_free(keys[i].key);
        free(keys[i].user);
    }
    free(keys);
    return 0;
}
