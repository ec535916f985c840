/* key.c — see key.h. */
#include "net/key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static const char Z85[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int key_z85_ok(const char *s)
{
    if (!s || strlen(s) != KEY_Z85_LEN) return 0;
    for (const char *p = s; *p; p++)
        if (!memchr(Z85, *p, sizeof Z85 - 1)) return 0;
    uint8_t bin[32];
    return zmq_z85_decode(bin, s) != NULL;
}

static int write_file(const char *path, int mode, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int e = errno;
    if (close(fd) < 0 && ok) ok = 0, e = errno;
    if (!ok) {
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        unlink(path);
        return -1;
    }
    return 0;
}

int key_generate(const char *path, key_pair_t *out, char *err, size_t errlen)
{
    key_pair_t k;
    if (zmq_curve_keypair(k.pub, k.sec) < 0) {
        snprintf(err, errlen, "zmq_curve_keypair: %s (libzmq built without CURVE?)",
                 zmq_strerror(zmq_errno()));
        return -1;
    }
    char pubpath[4096];
    if (snprintf(pubpath, sizeof pubpath, "%s.pub", path) >= (int)sizeof pubpath) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    char text[512];
    snprintf(text, sizeof text,
             "# ANTT CURVE keypair (ZeroMQ Z85). Secret: keep it mode 0600.\n"
             "curve\n    public-key = \"%s\"\n    secret-key = \"%s\"\n",
             k.pub, k.sec);
    if (write_file(path, 0600, text, err, errlen) < 0) return -1;
    snprintf(text, sizeof text,
             "# ANTT CURVE public key (ZeroMQ Z85). Public: give it to the operator.\n"
             "curve\n    public-key = \"%s\"\n",
             k.pub);
    if (write_file(pubpath, 0644, text, err, errlen) < 0) {
        unlink(path);
        return -1;
    }
    if (out) *out = k;
    return 0;
}

/* Find `name = "<40 chars>"` in text. 0, or -1. */
static int find_key(const char *text, const char *name, char out[KEY_Z85_LEN + 1])
{
    size_t nl = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        if (p != text && p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') continue;
        const char *q = p + nl;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q++ != '=') continue;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q++ != '"') continue;
        if (strlen(q) < KEY_Z85_LEN + 1 || q[KEY_Z85_LEN] != '"') return -1;
        memcpy(out, q, KEY_Z85_LEN);
        out[KEY_Z85_LEN] = '\0';
        return key_z85_ok(out) ? 0 : -1;
    }
    return -1;
}

/* Read a small text file; want_private: refuse group/other permissions. */
static int read_small(const char *path, int want_private, char *buf, size_t cap, char *err,
                      size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (want_private && (st.st_mode & 077)) {
        snprintf(err, errlen,
                 "%s: a secret key readable by group or others (mode %04o); chmod 600 it", path,
                 (unsigned)(st.st_mode & 07777));
        close(fd);
        return -1;
    }
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    buf[n] = '\0';
    return 0;
}

int key_load_pair(const char *path, key_pair_t *out, char *err, size_t errlen)
{
    char text[2048];
    if (read_small(path, 1, text, sizeof text, err, errlen) < 0) return -1;
    key_pair_t k;
    if (find_key(text, "secret-key", k.sec) < 0 || find_key(text, "public-key", k.pub) < 0) {
        snprintf(err, errlen, "%s: no public-key and secret-key lines (make one with antt keygen)",
                 path);
        return -1;
    }
    char derived[KEY_Z85_LEN + 1];
    if (zmq_curve_public(derived, k.sec) < 0 || strcmp(derived, k.pub) != 0) {
        snprintf(err, errlen, "%s: the public key is not the secret key's", path);
        return -1;
    }
    *out = k;
    return 0;
}

int key_load_public(const char *arg, char pub[KEY_Z85_LEN + 1], char *err, size_t errlen)
{
    if (key_z85_ok(arg)) {
        memcpy(pub, arg, KEY_Z85_LEN + 1);
        return 0;
    }
    char text[2048];
    if (read_small(arg, 0, text, sizeof text, err, errlen) < 0) return -1;
    if (find_key(text, "public-key", pub) < 0) {
        snprintf(err, errlen, "%s: no public-key line with 40 Z85 characters", arg);
        return -1;
    }
    return 0;
}

int key_apply_client(void *sock, const char *server_pub, const key_pair_t *ours, char *err,
                     size_t errlen)
{
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub, KEY_Z85_LEN) < 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, ours->pub, KEY_Z85_LEN) < 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, ours->sec, KEY_Z85_LEN) < 0) {
        snprintf(err, errlen, "CURVE options: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

int key_bind_server(void *sock, const key_pair_t *ours, const char *zap_domain,
                    const char *endpoint, char *err, size_t errlen)
{
    int one = 1;
    if (ours && (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) < 0 ||
                 zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, ours->sec, KEY_Z85_LEN) < 0 ||
                 zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, zap_domain, strlen(zap_domain)) < 0)) {
        snprintf(err, errlen, "CURVE options: %s", zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return -1;
    }
    if (zmq_bind(sock, endpoint) < 0) {
        snprintf(err, errlen, "bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return -1;
    }
    return 0;
}
