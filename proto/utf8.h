/* utf8.h — strict UTF-8 validation for text fields coming off the wire.
 *
 * Strict means RFC 3629: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF. Control characters (C0, DEL, C1) are refused too:
 * they have no place in a case reference or a summary and are a classic way
 * to corrupt logs and terminals. UTF8_ALLOW_NEWLINES lets \n, \r and \t
 * through for multi-line free text.
 */
#ifndef ANTT_PROTO_UTF8_H
#define ANTT_PROTO_UTF8_H

#include <stddef.h>
#include <stdint.h>

enum { UTF8_ALLOW_NEWLINES = 1 };

/* 0 when p[0..n) is valid text under flags, -1 otherwise. */
int utf8_check(const uint8_t *p, size_t n, int flags);

#endif
