/* uuid.h — event ids: 16 bytes on the wire or the canonical 36-char text.
 *
 * Clients should mint time-ordered UUIDv7 (RFC 9562) so ids index well and
 * sort by creation; the daemon accepts any non-nil UUID.
 */
#ifndef ANTT_PROTO_UUID_H
#define ANTT_PROTO_UUID_H

#include <stddef.h>
#include <stdint.h>

#define UUID_TEXT_LEN 36

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case). 0 or -1. */
int uuid_parse(const char *s, size_t n, uint8_t out[16]);

/* Write the lower-case canonical form plus NUL into out[37]. */
void uuid_format(const uint8_t id[16], char out[UUID_TEXT_LEN + 1]);

/* 1 when all sixteen bytes are zero. */
int uuid_is_nil(const uint8_t id[16]);

/* Fill out with a UUIDv7 for unix_ms, its random bits from rnd[10]. The
 * caller supplies randomness so that this stays a pure function (tests) and
 * picks its own source (getrandom in the client). */
void uuid_v7(uint8_t out[16], uint64_t unix_ms, const uint8_t rnd[10]);

#endif
