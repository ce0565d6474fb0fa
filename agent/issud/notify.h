/*
 * notify.h - issud and its service manager: readiness, reload and stop
 * through sd_notify(3) (a no-op when NOTIFY_SOCKET is unset: a foreground
 * run or a test), and whether stderr is the journal (JOURNAL_STREAM), in
 * which case log lines carry a "<N>" priority prefix instead of a time stamp.
 */
#ifndef ISSUD_NOTIFY_H
#define ISSUD_NOTIFY_H

/** Every face serves: READY=1 and a STATUS= line. */
void issud_notify_ready(const char *status);
/** A SIGHUP reload starts: RELOADING=1. Follow with issud_notify_ready(). */
void issud_notify_reloading(void);
/** A stop signal arrived: STOPPING=1. */
void issud_notify_stopping(void);

/**
 * 1 when @p fd is the stream systemd named in $JOURNAL_STREAM ("DEV:INODE"
 * of the journal's socket), else 0 (unset, malformed, or another file:
 * stderr redirected by hand under a service keeps plain lines).
 */
int issud_is_journal_stream(int fd);

#endif
