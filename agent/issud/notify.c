/*
 * notify.c - sd_notify(3) messages and the journal-stream check of notify.h.
 * libsystemd does the protocol (one AF_UNIX datagram per message to
 * $NOTIFY_SOCKET, abstract names included); failures are not fatal: a
 * daemon that cannot tell systemd it is ready still serves, and
 * systemd's start timeout reports it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include "notify.h"

void issud_notify_ready(const char *status)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
}

void issud_notify_reloading(void)
{
    sd_notify(0, "RELOADING=1\nSTATUS=reloading the manifests");
}

void issud_notify_stopping(void)
{
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

int issud_is_journal_stream(int fd)
{
    const char *env = getenv("JOURNAL_STREAM");
    uintmax_t dev, ino;
    struct stat st;
    char tail;

    /* strict: two decimal numbers and nothing else */
    if (!env || env[0] < '0' || env[0] > '9' || sscanf(env, "%ju:%ju%c", &dev, &ino, &tail) != 2)
        return 0;
    if (fstat(fd, &st) != 0)
        return 0;
    return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}
