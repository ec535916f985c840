/* term.h — text for terminals: columns measured in display cells, not bytes.
 * "Thị trấn Điện Biên Đông" is 23 cells but 33 bytes; printf's %-30s pads by
 * bytes and would misalign every row with a Vietnamese name. Widths come
 * from libunistring (Unicode's East Asian Width and combining marks). */
#ifndef ANTT_CLI_TERM_H
#define ANTT_CLI_TERM_H

#include <stddef.h>

/* Display cells of a UTF-8 string (an invalid byte counts as one cell). */
int term_width(const char *s);

/* s in exactly `width` cells: padded with spaces (on the right, or on the
 * left when right_align), or cut at a character boundary with "…" as its
 * last cell. out holds at least width * 4 + 1 bytes up to cap. */
void term_cell(char *out, size_t cap, const char *s, int width, int right_align);

#endif
