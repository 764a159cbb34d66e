/* file.h -- crash-safe file writes: temporary name, fsync, rename, fsync dir */
#ifndef SHARDKIT_FILE_H
#define SHARDKIT_FILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Replace path with exactly len bytes of data, so that a reader (or a crash
 * at any moment) sees either the old contents or the new ones, never a mix:
 * the data goes to "path.tmp.PID", is fsynced, renamed over path, and the
 * directory is fsynced so the rename itself survives a power loss.
 * Returns 0, or -1 after reporting the failure (the temporary is removed).
 */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Read all of a stream into a NUL-terminated buffer (caller frees).
 * Returns NULL after reporting a read error on source.
 */
char *file_read_stream(FILE *stream, const char *source, size_t *len_out);

/* 1 when path names anything (a dangling symlink too: lstat), else 0. */
int file_exists(const char *path);

#endif
