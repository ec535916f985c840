/* key.h — CURVE keys as ANTT writes and reads them (PROTOCOL.md section 15).
 *
 * A key is ZeroMQ's Z85 text (RFC 32): 40 printable characters for 32 bytes.
 * A keypair file is text, readable by CZMQ's zcert too:
 *
 *   # ANTT CURVE keypair (ZeroMQ Z85). Secret: keep it mode 0600.
 *   curve
 *       public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *       secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
 *
 * and NAME.pub holds the same without the secret-key line. A secret key file
 * that its group or others may read is refused: whoever reads it can pose as
 * its owner. */
#ifndef ANTT_NET_KEY_H
#define ANTT_NET_KEY_H

#include <stddef.h>

#define KEY_Z85_LEN 40

typedef struct {
    char pub[KEY_Z85_LEN + 1];
    char sec[KEY_Z85_LEN + 1]; /* "" when only the public key is known */
} key_pair_t;

/* 1 when s is exactly 40 characters of the Z85 alphabet (then it decodes). */
int key_z85_ok(const char *s);

/* Make a keypair and write it to path (mode 0600, refusing to replace an
 * existing file) and path.pub (mode 0644). 0, or -1 with err. */
int key_generate(const char *path, key_pair_t *out, char *err, size_t errlen);

/* Read a keypair file. The file must not be readable by group or others, and
 * the public key must be the one the secret key gives. 0, or -1 with err. */
int key_load_pair(const char *path, key_pair_t *out, char *err, size_t errlen);

/* A public key given as its Z85 text itself, or as a file holding a
 * public-key line (a .pub file, or a keypair file). 0, or -1 with err. */
int key_load_public(const char *arg, char pub[KEY_Z85_LEN + 1], char *err, size_t errlen);

/* Set a client socket's CURVE options: the server's public key and our pair.
 * 0, or -1 with err. */
int key_apply_client(void *sock, const char *server_pub, const key_pair_t *ours, char *err,
                     size_t errlen);

/* Bind a server socket to endpoint, with CURVE first when ours is given
 * (ZMQ_CURVE_SERVER, the secret key, the ZAP domain), so that no peer ever
 * reaches it in plaintext. 0; -1 with err, the socket closed. */
int key_bind_server(void *sock, const key_pair_t *ours, const char *zap_domain,
                    const char *endpoint, char *err, size_t errlen);

#endif
