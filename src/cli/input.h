/*
 * input.h - the bytes of a profile: a whole file (or pipe) read into
 * memory, and gzip data inflated, both within a bound on the size, so that
 * neither a huge file nor a gzip bomb can exhaust memory: the bound is hit
 * and reported while the buffer is still at most bound + 1 bytes.
 *
 * Messages are written to err without a file name (the caller adds it).
 */
#ifndef HEAPPROF_CLI_INPUT_H
#define HEAPPROF_CLI_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the commands read, for messages about input that is something else. */
#define INPUT_WANTS "heapprof reads pprof profiles (protobuf, gzipped or not)"

/* The gzip magic bytes. */
bool input_is_gzip(const uint8_t *data, size_t len);

/* All of fd, at most max bytes, into a malloc'd *out.  0, or -1 with a
 * message. */
int input_read_fd(int fd, uint64_t max, uint8_t **out, size_t *len, char *err, size_t errlen);

/* Inflate gzip data (one member or several in a row; trailing zero bytes
 * are allowed) into a malloc'd *out of at most max bytes.  0, or -1 with a
 * message: truncated, corrupt, too large, out of memory. */
int input_gunzip(const uint8_t *in, size_t inlen, uint64_t max, uint8_t **out, size_t *outlen,
                 char *err, size_t errlen);

#endif
