/*
 * nc_ssh.c - NETCONF over SSH: the host key, the authorized keys and
 * public-key authentication (the only method issud offers).
 *
 * The host key is a PEM private key, generated (RSA 2048, mode 0600) when
 * the file does not exist. Authorized keys come from an OpenSSH
 * authorized_keys file; each key logs in as --ssh-user, or else as its
 * comment up to '@'. issud is the SSH server (libssh; libnetconf2 only
 * sees the channel's bytes, through nc_front.c): on each connection's relay
 * thread, the key exchange, public-key authentication (3 failures close
 * it), one session channel and its "netconf" subsystem must all happen
 * before --netconf-auth-timeout; nothing else is offered.
 */
#include "nc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "file.h"
#include "issu_err.h"

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

int issu_nc_authkeys_parse(struct issu_nc *nc, const char *name, const char *buf, size_t len, const char *user,
                           struct issu_nc_authkey **keys, size_t *n)
{
    char line[ISSU_NC_AUTHKEYS_MAX_LINE + 1];
    const char *p = buf, *end = buf + len, *nl;
    unsigned lineno = 0;
    size_t n0 = *n, l;

    if (memchr(buf, '\0', len)) {
        issu_nc_log(nc, LOG_ERR, "%s: a NUL byte: not a text file", name);
        return ISSU_ERR_INVAL;
    }
    while (p < end) {
        lineno++;
        nl = memchr(p, '\n', (size_t)(end - p));
        l = (size_t)((nl ? nl : end) - p);
        if (l > ISSU_NC_AUTHKEYS_MAX_LINE) {
            issu_nc_log(nc, LOG_ERR, "%s:%u: line too long (over %d bytes)", name, lineno, ISSU_NC_AUTHKEYS_MAX_LINE);
            return ISSU_ERR_INVAL;
        }
        memcpy(line, p, l);
        line[l] = '\0';
        ISSU_CHECK(authkey_line(nc, name, lineno, line, user, keys, n));
        p += l + (nl ? 1 : 0);
    }
    if (*n == n0) {
        issu_nc_log(nc, LOG_ERR, "%s: no keys", name);
        return ISSU_ERR_INVAL;
    }
    return ISSU_OK;
}

int issu_nc_authkeys_load(struct issu_nc *nc, const char *path, const char *user, struct issu_nc_authkey **keys,
                          size_t *n)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    ssize_t r;
    int fd, rc = ISSU_OK;

    /* O_NONBLOCK: a FIFO must not hang the start; only a regular file is read */
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        issu_nc_log(nc, LOG_ERR, "%s: %s", path, strerror(errno));
        return ISSU_ERR_IO;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        issu_nc_log(nc, LOG_ERR, "%s: not a regular file", path);
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    if (st.st_size > ISSU_NC_AUTHKEYS_MAX_SIZE) {
        issu_nc_log(nc, LOG_ERR, "%s: larger than %d bytes", path, ISSU_NC_AUTHKEYS_MAX_SIZE);
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    buf = malloc((size_t)st.st_size + 1);
    ISSU_CHECK_MEM(buf, rc);
    while (got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
        got += (size_t)r;
    rc = issu_nc_authkeys_parse(nc, path, buf, got, user, keys, n);
cleanup:
    free(buf);
    close(fd);
    return rc;
}

static int ensure_host_key(struct issu_nc *nc, const char *path)
{
    ssh_key key = NULL;
    mode_t old;
    int rc, err;

    if (access(path, F_OK) == 0) {
        char why[1024];
        int fd;

        /* libssh opens it itself, and would wait on a FIFO: check the type first */
        if (issu_file_open_regular(path, &fd, NULL, why, sizeof(why)) != ISSU_OK) {
            issu_nc_log(nc, LOG_ERR, "SSH host key %s", why);
            return ISSU_ERR_IO;
        }
        close(fd);
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
    errno = 0;
    rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) == SSH_OK ? ISSU_OK : ISSU_ERR_IO;
    err = errno; /* libssh's fopen() */
    umask(old);
    ssh_key_free(key);
    if (rc != ISSU_OK)
        issu_nc_log(nc, LOG_ERR, "%s: cannot write the host key: %s", path, err ? strerror(err) : "libssh failed");
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

int issu_nc_ssh_setup(struct issu_nc *nc, char *addr, size_t addrlen, uint16_t *port)
{
    ssh_key key = NULL;
    int rc;

    ISSU_CHECK(parse_listen(nc, nc->conf.ssh_listen, addr, addrlen, port));
    ISSU_CHECK(ensure_host_key(nc, nc->conf.host_key));
    ISSU_CHECK(issu_nc_authkeys_load(nc, nc->conf.authorized_keys, nc->conf.ssh_user, &nc->keys, &nc->n_keys));
    nc->host_key = strdup(nc->conf.host_key);
    ISSU_CHECK_MEM(nc->host_key, rc);
    if (ssh_pki_import_privkey_file(nc->host_key, NULL, NULL, NULL, &key) != SSH_OK) {
        issu_nc_log(nc, LOG_ERR, "%s: not a private key libssh can read", nc->host_key);
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    nc->sshbind = ssh_bind_new();
    ISSU_CHECK_MEM(nc->sshbind, rc);
    if (ssh_bind_options_set(nc->sshbind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
        issu_nc_log(nc, LOG_ERR, "%s: libssh refuses it as a host key", nc->host_key);
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    key = NULL; /* the bind's now */
    return ISSU_OK;
cleanup:
    ssh_key_free(key);
    return rc;
}

/* ------------------------------------------------------------ one connection */

static int authorized(struct issu_nc *nc, const char *user, ssh_key key)
{
    size_t i;

    for (i = 0; user && i < nc->n_keys; i++)
        if (!strcmp(user, nc->keys[i].user) && !ssh_key_cmp(key, nc->keys[i].key, SSH_KEY_CMP_PUBLIC))
            return 1;
    return 0;
}

static int on_auth_pubkey(ssh_session s, const char *user, struct ssh_key_struct *key, char state, void *arg)
{
    struct issu_nc_conn *c = arg;

    (void)s;
    if (authorized(c->nc, user, key)) {
        if (state == SSH_PUBLICKEY_STATE_NONE)
            return SSH_AUTH_SUCCESS; /* "this key would do": the client signs next */
        if (state == SSH_PUBLICKEY_STATE_VALID) {
            snprintf(c->user, sizeof(c->user), "%s", user);
            c->authed = 1;
            return SSH_AUTH_SUCCESS;
        }
    }
    c->auth_failures++;
    issu_nc_ratelog(c->nc, ISSU_NC_RL_AUTH, LOG_WARNING, "SSH public key refused for user \"%s\" from %s",
                    user ? user : "?", c->host);
    return SSH_AUTH_DENIED;
}

static int on_data(ssh_session s, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *arg)
{
    struct issu_nc_conn *c = arg;

    (void)s;
    (void)ch;
    if (is_stderr)
        return (int)len;
    issu_nc_front_client_data(c, data, len);
    return (int)len; /* always all: libssh offers the rest only with new data */
}

static void on_eof(ssh_session s, ssh_channel ch, void *arg)
{
    (void)s;
    (void)ch;
    ((struct issu_nc_conn *)arg)->client_eof = 1;
}

static int on_subsystem(ssh_session s, ssh_channel ch, const char *name, void *arg)
{
    struct issu_nc_conn *c = arg;

    (void)s;
    if (ch != c->ch || strcmp(name, "netconf") || c->subsys)
        return 1;
    c->subsys = 1;
    return 0;
}

static ssh_channel on_channel_open(ssh_session s, void *arg)
{
    struct issu_nc_conn *c = arg;

    if (!c->authed || c->ch) /* one NETCONF channel per connection */
        return NULL;
    c->ch = ssh_channel_new(s);
    if (!c->ch)
        return NULL;
    memset(&c->ccb, 0, sizeof(c->ccb));
    c->ccb.userdata = c;
    c->ccb.channel_data_function = on_data;
    c->ccb.channel_eof_function = on_eof;
    c->ccb.channel_close_function = on_eof;
    c->ccb.channel_subsystem_request_function = on_subsystem;
    ssh_callbacks_init(&c->ccb);
    ssh_set_channel_callbacks(c->ch, &c->ccb);
    return c->ch;
}

static int closed(ssh_session s)
{
    return (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
}

int issu_nc_ssh_accept(struct issu_nc_conn *c, int64_t deadline_ms)
{
    struct issu_nc *nc = c->nc;
    struct pollfd p;
    int r, rc = ISSU_OK;
    int64_t left;

    c->ssh = ssh_new();
    ISSU_CHECK_MEM(c->ssh, rc);
    memset(&c->scb, 0, sizeof(c->scb));
    c->scb.userdata = c;
    c->scb.auth_pubkey_function = on_auth_pubkey;
    c->scb.channel_open_request_session_function = on_channel_open;
    ssh_callbacks_init(&c->scb);
    ssh_set_server_callbacks(c->ssh, &c->scb);
    if (ssh_bind_accept_fd(nc->sshbind, c->ssh, c->cfd) != SSH_OK) {
        issu_nc_log(nc, LOG_ERR, "SSH from %s: %s", c->host, ssh_get_error(nc->sshbind));
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    c->cfd = -1; /* the SSH session's now */
    ssh_set_auth_methods(c->ssh, SSH_AUTH_METHOD_PUBLICKEY);
    ssh_set_blocking(c->ssh, 0);
    while ((r = ssh_handle_key_exchange(c->ssh)) == SSH_AGAIN) {
        left = deadline_ms - issu_nc_now_ms();
        if (left <= 0 || nc->stop)
            break;
        p = (struct pollfd){.fd = ssh_get_fd(c->ssh), .events = POLLIN};
        poll(&p, 1, left < 100 ? (int)left : 100);
    }
    if (r != SSH_OK) {
        issu_nc_ratelog(nc, ISSU_NC_RL_AUTH, r == SSH_AGAIN ? LOG_WARNING : LOG_INFO,
                        "SSH from %s: %s", c->host,
                        r == SSH_AGAIN ? "no key exchange in time: closed" : ssh_get_error(c->ssh));
        ISSU_CHECK_GOTO(ISSU_ERR_PROTO, rc);
    }
    c->ev = ssh_event_new();
    ISSU_CHECK_MEM(c->ev, rc);
    if (ssh_event_add_session(c->ev, c->ssh) != SSH_OK)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    while (!(c->authed && c->ch && c->subsys)) {
        left = deadline_ms - issu_nc_now_ms();
        if (left <= 0 || nc->stop || closed(c->ssh) || c->auth_failures >= 3)
            break;
        ssh_event_dopoll(c->ev, left < 100 ? (int)left : 100);
    }
    if (!(c->authed && c->ch && c->subsys)) {
        issu_nc_ratelog(nc, ISSU_NC_RL_AUTH, LOG_WARNING, "SSH from %s: %s: closed", c->host,
                        c->auth_failures >= 3 ? "3 keys refused"
                        : closed(c->ssh)      ? "the client left before the netconf subsystem"
                                              : "no login and netconf subsystem in time");
        ISSU_CHECK_GOTO(ISSU_ERR_PROTO, rc);
    }
cleanup:
    return rc;
}

static int on_lib_readable(socket_t fd, int revents, void *arg)
{
    (void)fd;
    (void)revents;
    (void)arg;
    return 0; /* only wakes ssh_event_dopoll: the relay reads */
}

int issu_nc_ssh_flush(struct issu_nc_conn *c)
{
    uint32_t win;
    size_t n;
    int w;

    while (c->out_off < c->out_len) {
        win = ssh_channel_window_size(c->ch);
        if (!win)
            break;
        n = c->out_len - c->out_off;
        if (n > win)
            n = win;
        w = ssh_channel_write(c->ch, c->out + c->out_off, (uint32_t)n);
        if (w == SSH_ERROR)
            return ISSU_ERR_IO;
        if (w == 0)
            break;
        c->out_off += (size_t)w;
    }
    /* poll libnetconf2's side only while out has room (else it would spin) */
    if (c->out_len < sizeof(c->out) && !c->lib_eof && c->lfd >= 0 && !c->lfd_in_ev) {
        if (ssh_event_add_fd(c->ev, c->lfd, POLLIN, on_lib_readable, c) == SSH_OK)
            c->lfd_in_ev = 1;
    } else if ((c->out_len == sizeof(c->out) || c->lib_eof) && c->lfd_in_ev) {
        ssh_event_remove_fd(c->ev, c->lfd);
        c->lfd_in_ev = 0;
    }
    return ISSU_OK;
}

void issu_nc_ssh_close(struct issu_nc_conn *c)
{
    if (c->ev && c->lfd_in_ev)
        ssh_event_remove_fd(c->ev, c->lfd);
    c->lfd_in_ev = 0;
    if (c->ch) {
        if (ssh_channel_is_open(c->ch)) {
            ssh_channel_send_eof(c->ch);
            ssh_channel_close(c->ch);
        }
        ssh_channel_free(c->ch);
        c->ch = NULL;
    }
    if (c->ev && c->ssh)
        ssh_event_remove_session(c->ev, c->ssh);
    if (c->ev)
        ssh_event_free(c->ev);
    c->ev = NULL;
    if (c->ssh) {
        ssh_disconnect(c->ssh);
        ssh_free(c->ssh);
    }
    c->ssh = NULL;
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
    if (nc->sshbind)
        ssh_bind_free(nc->sshbind);
    nc->sshbind = NULL;
}
