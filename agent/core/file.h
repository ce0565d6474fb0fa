/*
 * file.h - opening a file an operator named (manifest, pre-shared key,
 * authorized keys) without ever blocking on it.
 *
 * open() of a FIFO waits for a writer, and of some devices for the device:
 * the daemon's core thread froze that way on a reload. Every such path is
 * opened here: non-blocking, checked to be a regular file before anything
 * is read, and only then made blocking again for the reads.
 */
#ifndef ISSU_FILE_H
#define ISSU_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/**
 * Open @p path for reading (O_NOCTTY, O_CLOEXEC) when it is a regular file
 * (symbolic links followed). Never blocks: a FIFO, socket, device or
 * directory is refused at once.
 *
 * @param[out] fd   the open descriptor (blocking mode) on success, else -1.
 * @param[out] st   optional: its fstat().
 * @param[out] err  on failure "<path>: <why>", e.g. "m.json: not a regular
 *                  file: FIFO" or "m.json: No such file or directory".
 * @return ISSU_OK or ISSU_ERR_IO.
 */
int issu_file_open_regular(const char *path, int *fd, struct stat *st, char *err, size_t errlen);

/**
 * The whole of a small regular file @p path (opened as
 * issu_file_open_regular() does), NUL-terminated, in a malloc'ed @p data.
 * A file larger than @p max bytes, also one that grows past it while read,
 * is refused without reading more than @p max + 1 bytes.
 *
 * @param[out] err  "<path>: larger than <max> bytes", or "<path>: <why>".
 * @return ISSU_OK; ISSU_ERR_INVAL (too large), ISSU_ERR_IO, ISSU_ERR_NOMEM.
 */
int issu_file_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen);

/** What a file of mode @p mode is, in words ("FIFO", "directory", ...). */
const char *issu_file_type(mode_t mode);

#endif
