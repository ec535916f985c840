/* spool.c — see spool.h. */
#include "lib/spool.h"

#include "proto/hindex.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC       "ANTTSPL1"
#define MAGIC_LEN   8
#define KIND_EVENT  1
#define KIND_DONE   2
#define KIND_SEQ    3
#define REC_HEAD    8                /* u32 length + u32 crc */
#define EVENT_FIXED (1 + 16 + 8 + 8) /* kind, id, enqueued, seq */
#define SEQ_BODY    (1 + 16 + 8)     /* kind, zero id, seq */
#define DONE_BODY   (1 + 16 + 1 + 2) /* kind, id, status, code */
#define MAX_BODY    (16u << 20)      /* no record is this large: a longer length is a torn tail */
#define COMPACT_MIN (64u << 10)

typedef struct {
    spool_item_t it;
    uint8_t *buf; /* owned copy of the event */
    uint64_t seq;
    int done;
} entry_t;

struct spool {
    int fd;
    char path[PATH_MAX];
    spool_sync_t sync;
    uint64_t max_bytes;
    entry_t *v;
    uint32_t n, cap, ndone;
    hindex_t idx; /* id -> v[] (pending entries only) */
    uint64_t pending_bytes, file_bytes;
    uint64_t seq_high;
};

/* ---- crc32 (IEEE 802.3, as zlib) ---- */
static uint32_t crc_table[256];

static void crc_init(void)
{
    if (crc_table[1]) return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void put32(uint8_t *w, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        w[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *r)
{
    return (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16 | (uint32_t)r[3] << 24;
}
static void put64(uint8_t *w, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        w[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *r)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | r[i];
    return v;
}

/* ---- the pending set ---- */

static int index_rebuild(spool_t *s)
{
    hindex_clear(&s->idx);
    if (hindex_reserve(&s->idx, s->n + 1) < 0) return SPOOL_ENOMEM;
    for (uint32_t i = 0; i < s->n; i++)
        if (!s->v[i].done && hindex_add(&s->idx, hindex_hash(s->v[i].it.id, 16), i) < 0)
            return SPOOL_ENOMEM;
    return SPOOL_OK;
}

spool_item_t *spool_find(spool_t *s, const uint8_t id[16])
{
    hindex_iter_t it = hindex_find(&s->idx, hindex_hash(id, 16));
    for (long i; (i = hindex_next(&s->idx, &it)) >= 0;) {
        entry_t *e = &s->v[i];
        if (!e->done && !memcmp(e->it.id, id, 16)) return &e->it;
    }
    return NULL;
}

static int add_entry(spool_t *s, const uint8_t id[16], const uint8_t *bytes, uint32_t len,
                     int64_t enq, uint64_t seq)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 256;
        entry_t *v = realloc(s->v, cap * sizeof *v);
        if (!v) return SPOOL_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return SPOOL_ENOMEM;
    memcpy(copy, bytes, len);
    entry_t *e = &s->v[s->n];
    memset(e, 0, sizeof *e);
    memcpy(e->it.id, id, 16);
    e->buf = copy;
    e->it.bytes = copy;
    e->it.len = len;
    e->it.enqueued_ms = enq;
    e->seq = seq;
    if (seq > s->seq_high) s->seq_high = seq;
    s->n++;
    s->pending_bytes += len;
    return hindex_add(&s->idx, hindex_hash(id, 16), s->n - 1) < 0 ? SPOOL_ENOMEM : SPOOL_OK;
}

static void mark_done(spool_t *s, spool_item_t *it)
{
    entry_t *e = (entry_t *)it; /* it is the first member */
    e->done = 1;
    s->ndone++;
    s->pending_bytes -= e->it.len;
    free(e->buf);
    e->buf = NULL;
    e->it.bytes = NULL;
}

/* ---- the file ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    int d = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (d < 0) return -1;
    int rc = fsync(d);
    close(d);
    return rc;
}

/* Append one record; on failure the file is cut back to where it was. */
static int append_record(spool_t *s, const uint8_t *body, uint32_t blen, int sync_now)
{
    uint8_t head[REC_HEAD];
    put32(head, blen);
    put32(head + 4, crc32_of(body, blen));
    if (write_all(s->fd, head, REC_HEAD) < 0 || write_all(s->fd, body, blen) < 0 ||
        (sync_now && fdatasync(s->fd) < 0)) {
        int e = errno;
        if (ftruncate(s->fd, (off_t)s->file_bytes) == 0) lseek(s->fd, 0, SEEK_END);
        errno = e;
        return SPOOL_EIO;
    }
    s->file_bytes += REC_HEAD + blen;
    return SPOOL_OK;
}

/* Rewrite the file with the pending events only. */
static int compact(spool_t *s)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", s->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return SPOOL_EIO;
    uint64_t size = MAGIC_LEN + REC_HEAD + SEQ_BODY;
    uint8_t seqrec[REC_HEAD + SEQ_BODY] = {0};
    seqrec[REC_HEAD] = KIND_SEQ;
    put64(seqrec + REC_HEAD + 17, s->seq_high);
    put32(seqrec, SEQ_BODY);
    put32(seqrec + 4, crc32_of(seqrec + REC_HEAD, SEQ_BODY));
    int rc = write_all(fd, (const uint8_t *)MAGIC, MAGIC_LEN) < 0 ||
                     write_all(fd, seqrec, sizeof seqrec) < 0
                 ? -1
                 : 0;
    uint8_t *body = NULL;
    size_t cap = 0;
    for (uint32_t i = 0; i < s->n && rc == 0; i++) {
        const entry_t *e = &s->v[i];
        if (e->done) continue;
        size_t blen = EVENT_FIXED + e->it.len;
        if (blen > cap) {
            uint8_t *b = realloc(body, blen);
            if (!b) {
                rc = -1;
                break;
            }
            body = b;
            cap = blen;
        }
        body[0] = KIND_EVENT;
        memcpy(body + 1, e->it.id, 16);
        put64(body + 17, (uint64_t)e->it.enqueued_ms);
        put64(body + 25, e->seq);
        memcpy(body + EVENT_FIXED, e->it.bytes, e->it.len);
        uint8_t head[REC_HEAD];
        put32(head, (uint32_t)blen);
        put32(head + 4, crc32_of(body, blen));
        rc = write_all(fd, head, REC_HEAD) < 0 || write_all(fd, body, blen) < 0 ? -1 : 0;
        size += REC_HEAD + blen;
    }
    free(body);
    if (rc == 0 && s->sync != SPOOL_SYNC_NONE && fsync(fd) < 0) rc = -1;
    if (rc == 0 && rename(tmp, s->path) < 0) rc = -1;
    if (rc < 0) {
        close(fd);
        unlink(tmp);
        return SPOOL_EIO;
    }
    if (s->sync != SPOOL_SYNC_NONE) fsync_dir(s->path);
    close(s->fd);
    s->fd = open(s->path, O_WRONLY | O_APPEND | O_CLOEXEC);
    close(fd);
    if (s->fd < 0) return SPOOL_EIO;
    s->file_bytes = size;
    /* Drop answered entries from the vector, keeping the order. */
    uint32_t w = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (!s->v[i].done) s->v[w++] = s->v[i];
    s->n = w;
    s->ndone = 0;
    return index_rebuild(s);
}

static int maybe_compact(spool_t *s)
{
    uint64_t live = s->pending_bytes + (uint64_t)(s->n - s->ndone) * (REC_HEAD + EVENT_FIXED);
    if (s->file_bytes > COMPACT_MIN && s->file_bytes > 2 * live) return compact(s);
    return SPOOL_OK;
}

/* Replay the file; cut a torn tail. */
static int replay(spool_t *s, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(s->fd, &st) < 0) goto io;
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        if (write_all(s->fd, (const uint8_t *)MAGIC, MAGIC_LEN) < 0 || fsync(s->fd) < 0) goto io;
        s->file_bytes = MAGIC_LEN;
        return SPOOL_OK;
    }
    uint8_t *buf = malloc(size);
    if (!buf) return SPOOL_ENOMEM;
    if (pread(s->fd, buf, size, 0) != (ssize_t)size) {
        free(buf);
        goto io;
    }
    if (size < MAGIC_LEN || memcmp(buf, MAGIC, MAGIC_LEN)) {
        free(buf);
        snprintf(err, errlen, "%s: not an ANTT spool file", s->path);
        return SPOOL_EIO;
    }
    size_t off = MAGIC_LEN;
    int rc = SPOOL_OK;
    while (off + REC_HEAD <= size && rc == SPOOL_OK) {
        uint32_t blen = get32(buf + off), crc = get32(buf + off + 4);
        if (blen > MAX_BODY || off + REC_HEAD + blen > size) break;
        const uint8_t *b = buf + off + REC_HEAD;
        if (crc32_of(b, blen) != crc || blen < 17) break;
        if (b[0] == KIND_EVENT && blen >= EVENT_FIXED) {
            if (!spool_find(s, b + 1))
                rc = add_entry(s, b + 1, b + EVENT_FIXED, blen - EVENT_FIXED,
                               (int64_t)get64(b + 17), get64(b + 25));
        } else if (b[0] == KIND_SEQ && blen >= SEQ_BODY) {
            if (get64(b + 17) > s->seq_high) s->seq_high = get64(b + 17);
        } else if (b[0] == KIND_DONE) {
            spool_item_t *it = spool_find(s, b + 1);
            if (it) mark_done(s, it);
        }
        off += REC_HEAD + blen;
    }
    free(buf);
    if (rc != SPOOL_OK) return rc;
    if (off < size) { /* a torn record: what a crash mid-write leaves */
        if (ftruncate(s->fd, (off_t)off) < 0 || fsync(s->fd) < 0) goto io;
    }
    s->file_bytes = off;
    lseek(s->fd, 0, SEEK_END);
    return SPOOL_OK;
io:
    snprintf(err, errlen, "%s: %s", s->path, strerror(errno));
    return SPOOL_EIO;
}

int spool_open(spool_t **out, const char *path, uint64_t max_bytes, spool_sync_t sync, char *err,
               size_t errlen)
{
    crc_init();
    *out = NULL;
    spool_t *s = calloc(1, sizeof *s);
    if (!s) return SPOOL_ENOMEM;
    snprintf(s->path, sizeof s->path, "%s", path);
    s->sync = sync;
    s->max_bytes = max_bytes;
    s->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(s);
        return SPOOL_EIO;
    }
    int rc = index_rebuild(s);
    if (rc == SPOOL_OK) rc = replay(s, err, errlen);
    if (rc == SPOOL_OK) rc = maybe_compact(s);
    if (rc != SPOOL_OK) {
        if (!err[0]) snprintf(err, errlen, "%s: %s", path, spool_strerror(rc));
        spool_close(&s);
        return rc;
    }
    *out = s;
    return SPOOL_OK;
}

void spool_close(spool_t **sp)
{
    spool_t *s = *sp;
    if (!s) return;
    if (s->fd >= 0) {
        if (s->sync != SPOOL_SYNC_NONE) fsync(s->fd);
        close(s->fd);
    }
    for (uint32_t i = 0; i < s->n; i++)
        free(s->v[i].buf);
    free(s->v);
    hindex_free(&s->idx);
    free(s);
    *sp = NULL;
}

int spool_append(spool_t *s, const uint8_t id[16], const void *bytes, uint32_t len, int64_t now_ms,
                 uint64_t seq)
{
    if (spool_find(s, id)) return SPOOL_OK; /* already pending: nothing new to keep */
    /* The bound is what is on disk (headers, answers and all): answered
     * records are compacted away before an append is refused. */
    const uint64_t need = REC_HEAD + EVENT_FIXED + (uint64_t)len;
    if (s->file_bytes + need > s->max_bytes && s->ndone) {
        int rc = compact(s);
        if (rc != SPOOL_OK) return rc;
    }
    if (s->file_bytes + need > s->max_bytes) return SPOOL_EFULL;
    uint32_t blen = EVENT_FIXED + len;
    uint8_t *body = malloc(blen);
    if (!body) return SPOOL_ENOMEM;
    body[0] = KIND_EVENT;
    memcpy(body + 1, id, 16);
    put64(body + 17, (uint64_t)now_ms);
    put64(body + 25, seq);
    memcpy(body + EVENT_FIXED, bytes, len);
    int rc = append_record(s, body, blen, s->sync == SPOOL_SYNC_EACH);
    free(body);
    if (rc != SPOOL_OK) return rc;
    return add_entry(s, id, bytes, len, now_ms, seq);
}

int spool_done(spool_t *s, const uint8_t id[16], int status, int code)
{
    spool_item_t *it = spool_find(s, id);
    if (!it) return SPOOL_EUNKNOWN;
    if (s->file_bytes + REC_HEAD + DONE_BODY > s->max_bytes) {
        /* At the bound: rewriting the file without this event records the
         * answer as well as a DONE record would. */
        mark_done(s, it);
        return compact(s);
    }
    uint8_t body[DONE_BODY];
    body[0] = KIND_DONE;
    memcpy(body + 1, id, 16);
    body[17] = (uint8_t)status;
    body[18] = (uint8_t)code;
    body[19] = (uint8_t)(code >> 8);
    /* Not synced here: the caller syncs once for all the answers of a reply
     * (spool_sync). A DONE lost to a crash only sends the event again. */
    int rc = append_record(s, body, DONE_BODY, 0);
    if (rc != SPOOL_OK) return rc;
    mark_done(s, it);
    return maybe_compact(s);
}

void spool_forget(spool_t *s, const uint8_t id[16])
{
    spool_item_t *it = spool_find(s, id);
    if (it) mark_done(s, it);
}

void spool_set_sync(spool_t *s, spool_sync_t sync)
{
    s->sync = sync;
}

int spool_sync(spool_t *s)
{
    return fdatasync(s->fd) < 0 ? SPOOL_EIO : SPOOL_OK;
}

spool_item_t *spool_next(spool_t *s, spool_item_t *it)
{
    uint32_t i = it ? (uint32_t)((entry_t *)it - s->v) + 1 : 0;
    for (; i < s->n; i++)
        if (!s->v[i].done) return &s->v[i].it;
    return NULL;
}

spool_item_t *spool_first(spool_t *s)
{
    return spool_next(s, NULL);
}
size_t spool_pending(const spool_t *s)
{
    return s->n - s->ndone;
}
uint64_t spool_seq_high(const spool_t *s)
{
    return s->seq_high;
}
uint64_t spool_pending_bytes(const spool_t *s)
{
    return s->pending_bytes;
}
uint64_t spool_file_bytes(const spool_t *s)
{
    return s->file_bytes;
}

int64_t spool_oldest_ms(const spool_t *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (!s->v[i].done) return s->v[i].it.enqueued_ms;
    return 0;
}

const char *spool_strerror(int code)
{
    switch (code) {
    case SPOOL_OK: return "ok";
    case SPOOL_EFULL: return "the spool is full: events wait for the daemon's answers";
    case SPOOL_EIO: return "the spool file could not be written";
    case SPOOL_ENOMEM: return "out of memory";
    case SPOOL_EUNKNOWN: return "no such pending event";
    default: return "unknown spool error";
    }
}
