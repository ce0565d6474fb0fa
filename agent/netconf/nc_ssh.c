/*
 * nc_ssh.c - NETCONF over SSH: the host key, the authorized keys and
 * public-key authentication (the only method issud offers).
 *
 * The host key is a PEM private key, generated (RSA 2048, mode 0600) when
 * the file does not exist. Authorized keys come from an OpenSSH
 * authorized_keys file; each key logs in as --ssh-user, or else as its
 * comment up to '@'. libnetconf2 runs the SSH handshake and calls back here
 * for the host key and for each offered public key.
 */
#include "nc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "issu_err.h"

static int pubkey_auth(const struct nc_session *session, ssh_key key, void *user_data)
{
    struct issu_nc *nc = user_data;
    const char *user = nc_session_get_username(session);
    size_t i;

    for (i = 0; i < nc->n_keys; i++) {
        if (user && !strcmp(user, nc->keys[i].user) && !ssh_key_cmp(key, nc->keys[i].key, SSH_KEY_CMP_PUBLIC))
            return 0;
    }
    issu_nc_log(nc, LOG_WARNING, "SSH public key refused for user \"%s\"", user ? user : "?");
    return 1;
}

static int hostkey_clb(const char *name, void *user_data, char **privkey_path, char **privkey_data,
                       NC_SSH_KEY_TYPE *privkey_type)
{
    struct issu_nc *nc = user_data;

    (void)name;
    *privkey_data = NULL;
    *privkey_type = NC_SSH_KEY_UNKNOWN;
    *privkey_path = strdup(nc->host_key);
    return *privkey_path ? 0 : -1;
}

/* One authorized_keys line (NUL-terminated, newline stripped or not) into
 * *keys; blank lines and comments add nothing. */
static int authkey_line(struct issu_nc *nc, const char *path, unsigned lineno, char *line, const char *user_opt,
                        struct issu_nc_authkey **keys, size_t *n)
{
    char *type, *b64, *comment, *save = NULL, *at;
    const char *user;
    ssh_key key = NULL;
    struct issu_nc_authkey *k;
    int rc = ISSU_OK;

    type = strtok_r(line, " \t\r\n", &save);
    if (!type || type[0] == '#')
        return ISSU_OK;
    b64 = strtok_r(NULL, " \t\r\n", &save);
    comment = strtok_r(NULL, " \t\r\n", &save);
    if (!b64 || ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &key) != SSH_OK) {
        issu_nc_log(nc, LOG_ERR, "%s:%u: not an OpenSSH public key (options before the key type are not supported)",
                    path, lineno);
        return ISSU_ERR_INVAL;
    }
    if (comment && (at = strchr(comment, '@')))
        *at = '\0';
    user = user_opt ? user_opt : comment;
    if (!user || !user[0]) {
        issu_nc_log(nc, LOG_ERR, "%s:%u: no user: put it in the key's comment or use --ssh-user", path, lineno);
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    k = realloc(*keys, (*n + 1) * sizeof(*k));
    ISSU_CHECK_MEM(k, rc);
    *keys = k;
    k[*n].user = strdup(user);
    ISSU_CHECK_MEM(k[*n].user, rc);
    k[*n].key = key;
    (*n)++;
    issu_nc_log(nc, LOG_INFO, "authorized %s key for user \"%s\"", type, user);
    return ISSU_OK;
cleanup:
    ssh_key_free(key);
    return rc;
}

int issu_nc_authkeys_load(struct issu_nc *nc, const char *path, const char *user, struct issu_nc_authkey **keys,
                          size_t *n)
{
    FILE *f = fopen(path, "r");
    char line[16384];
    unsigned lineno = 0;
    size_t n0 = *n;
    int rc = ISSU_OK;

    if (!f) {
        issu_nc_log(nc, LOG_ERR, "%s: %s", path, strerror(errno));
        return ISSU_ERR_IO;
    }
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            issu_nc_log(nc, LOG_ERR, "%s:%u: line too long", path, lineno);
            ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
        }
        ISSU_CHECK_GOTO(authkey_line(nc, path, lineno, line, user, keys, n), rc);
    }
    if (*n == n0) {
        issu_nc_log(nc, LOG_ERR, "%s: no keys", path);
        rc = ISSU_ERR_INVAL;
    }
cleanup:
    fclose(f);
    return rc;
}

static int ensure_host_key(struct issu_nc *nc, const char *path)
{
    ssh_key key = NULL;
    mode_t old;
    int rc;

    if (access(path, F_OK) == 0) {
        if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
            issu_nc_log(nc, LOG_ERR, "%s: not a private key libssh can read", path);
            return ISSU_ERR_INVAL;
        }
        ssh_key_free(key);
        return ISSU_OK;
    }
    if (ssh_pki_generate(SSH_KEYTYPE_RSA, 2048, &key) != SSH_OK) {
        issu_nc_log(nc, LOG_ERR, "cannot generate a host key");
        return ISSU_ERR_IO;
    }
    old = umask(077);
    rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) == SSH_OK ? ISSU_OK : ISSU_ERR_IO;
    umask(old);
    ssh_key_free(key);
    if (rc != ISSU_OK)
        issu_nc_log(nc, LOG_ERR, "%s: cannot write the host key", path);
    else
        issu_nc_log(nc, LOG_INFO, "generated SSH host key %s (RSA 2048, PEM)", path);
    return rc;
}

/* "ADDR:PORT" or "[ADDR]:PORT" into @p addr and *port. */
static int parse_listen(struct issu_nc *nc, const char *spec, char *addr, size_t addrlen, uint16_t *port)
{
    const char *colon = strrchr(spec, ':');
    unsigned long p;
    char *end;
    size_t alen;

    if (!colon || colon == spec) {
        issu_nc_log(nc, LOG_ERR, "--netconf-ssh \"%s\": expected ADDR:PORT", spec);
        return ISSU_ERR_INVAL;
    }
    alen = (size_t)(colon - spec);
    errno = 0;
    p = strtoul(colon + 1, &end, 10);
    if (*end || !colon[1] || errno || p == 0 || p > 65535 || alen >= addrlen) {
        issu_nc_log(nc, LOG_ERR, "--netconf-ssh \"%s\": bad port", spec);
        return ISSU_ERR_INVAL;
    }
    memcpy(addr, spec, alen);
    addr[alen] = '\0';
    if (addr[0] == '[' && alen > 2 && addr[alen - 1] == ']') {
        memmove(addr, addr + 1, alen - 2);
        addr[alen - 2] = '\0';
    }
    *port = (uint16_t)p;
    return ISSU_OK;
}

int issu_nc_ssh_setup(struct issu_nc *nc)
{
    char addr[256];
    uint16_t port;

    ISSU_CHECK(parse_listen(nc, nc->conf.ssh_listen, addr, sizeof(addr), &port));
    ISSU_CHECK(ensure_host_key(nc, nc->conf.host_key));
    ISSU_CHECK(issu_nc_authkeys_load(nc, nc->conf.authorized_keys, nc->conf.ssh_user, &nc->keys, &nc->n_keys));
    nc->host_key = strdup(nc->conf.host_key);
    if (!nc->host_key)
        return ISSU_ERR_NOMEM;
    nc_server_ssh_set_hostkey_clb(hostkey_clb, nc, NULL);
    nc_server_ssh_set_pubkey_auth_clb(pubkey_auth, nc, NULL);
    if (nc_server_add_endpt("ssh", NC_TI_LIBSSH) || nc_server_ssh_endpt_add_hostkey("ssh", "hostkey", -1) ||
        nc_server_ssh_endpt_set_auth_methods("ssh", NC_SSH_AUTH_PUBLICKEY) ||
        nc_server_ssh_endpt_set_auth_attempts("ssh", 3) || nc_server_ssh_endpt_set_auth_timeout("ssh", 10) ||
        nc_server_endpt_set_address("ssh", addr) || nc_server_endpt_set_port("ssh", port)) {
        issu_nc_log(nc, LOG_ERR, "cannot listen for SSH on %s", nc->conf.ssh_listen);
        return ISSU_ERR_IO;
    }
    issu_nc_log(nc, LOG_INFO, "NETCONF over SSH on %s:%u", addr, (unsigned)port);
    return ISSU_OK;
}

void issu_nc_ssh_free(struct issu_nc *nc)
{
    size_t i;

    for (i = 0; i < nc->n_keys; i++) {
        ssh_key_free(nc->keys[i].key);
        free(nc->keys[i].user);
    }
    free(nc->keys);
    nc->keys = NULL;
    nc->n_keys = 0;
    free(nc->host_key);
    nc->host_key = NULL;
}
