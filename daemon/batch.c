/* batch.c — see batch.h. */
#include "daemon/batch.h"

#include "proto/util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int64_t arena_put(batch_t *b, const void *p, size_t n)
{
    if (b->cap_arena - b->narena < n) {
        size_t c = b->cap_arena ? b->cap_arena : 16384;
        while (c - b->narena < n)
            c *= 2;
        uint8_t *a = realloc(b->arena, c);
        if (!a) return -1;
        b->arena = a;
        b->cap_arena = c;
    }
    size_t off = b->narena;
    if (n) memcpy(b->arena + off, p, n);
    b->narena += n;
    return (int64_t)off;
}

void batch_clear(batch_t *b)
{
    for (uint32_t i = 0; i < b->nmsg; i++) {
        bmsg_t *m = batch_msg_at(b, i);
        if (m->has_payload) zmq_msg_close(&m->payload);
        m->has_payload = 0;
    }
    b->nev = b->nmsg = 0;
    b->narena = 0;
    b->weight = 0;
    b->opened_us = 0;
    b->sealed = 0;
}

void batch_free(batch_t *b)
{
    batch_clear(b);
    free(b->ev);
    for (uint32_t i = 0; i < b->nchunks; i++)
        free(b->chunks[i]);
    free(b->chunks);
    free(b->arena);
    free(b->refusals);
    memset(b, 0, sizeof *b);
}

bmsg_t *batch_msg(batch_t *b, path_t path, zmq_msg_t *payload, const zmq_msg_t *frames, int nframes,
                  int64_t now_us)
{
    if (nframes > BATCH_MAX_FRAMES) nframes = BATCH_MAX_FRAMES;
    if (b->nmsg == b->nchunks * BATCH_CHUNK) {
        bmsg_t **c = realloc(b->chunks, (b->nchunks + 1) * sizeof *c);
        if (!c) goto oom;
        b->chunks = c;
        if (!(c[b->nchunks] = malloc(BATCH_CHUNK * sizeof **c))) goto oom;
        b->nchunks++;
    }
    bmsg_t *m = batch_msg_at(b, b->nmsg);
    memset(m, 0, sizeof *m);
    m->path = path;
    m->first = b->nev;
    m->env_off = (uint32_t)b->narena;
    for (int i = 0; i < nframes; i++) {
        size_t n = zmq_msg_size((zmq_msg_t *)&frames[i]);
        if (n > 255) n = 255; /* the caller refuses longer envelope frames */
        if (arena_put(b, zmq_msg_data((zmq_msg_t *)&frames[i]), n) < 0) goto oom;
        m->flen[i] = (uint8_t)n;
    }
    m->nframes = (uint8_t)nframes;
    zmq_msg_init(&m->payload);
    if (payload) {
        zmq_msg_move(&m->payload, payload);
        m->has_payload = 1;
    }
    if (!b->nmsg) b->opened_us = now_us;
    b->nmsg++;
    return m;
oom:
    if (payload) zmq_msg_close(payload);
    return NULL;
}

store_ev_t *batch_event(batch_t *b, bmsg_t *m)
{
    if (grow_array((void **)&b->ev, &b->cap_ev, b->nev + 1, sizeof *b->ev) < 0) return NULL;
    store_ev_t *e = &b->ev[b->nev++];
    memset(&e->ev, 0, sizeof e->ev);
    e->v.status = ACK_ACCEPTED;
    e->v.code = 0;
    e->v.field = NULL;
    e->v.msg[0] = '\0';
    e->fixed = 0;
    e->path = (uint8_t)m->path;
    e->dup_of = -1;
    e->case_version = 0;
    m->count++;
    b->weight++;
    return e;
}

void batch_weigh(batch_t *b, uint32_t w)
{
    b->weight += w;
}

int batch_keep_raw(batch_t *b, bmsg_t *m, const void *raw, size_t len, size_t keep)
{
    size_t n = len < keep ? len : keep;
    int64_t off = arena_put(b, raw, n);
    if (off < 0) return -1;
    m->raw_off = (uint32_t)off;
    m->raw_len = (uint32_t)n;
    m->raw_total = (uint32_t)len;
    return 0;
}

const uint8_t *batch_frame(const batch_t *b, const bmsg_t *m, int i)
{
    uint32_t off = m->env_off;
    for (int k = 0; k < i; k++)
        off += m->flen[k];
    return b->arena + off;
}

int batch_work(batch_t *b, store_work_t *w)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->nmsg; i++) {
        const bmsg_t *m = batch_msg_at(b, i);
        if (!m->code) continue;
        if (grow_array((void **)&b->refusals, &b->cap_refusals, n + 1, sizeof *b->refusals) < 0)
            return -1;
        b->refusals[n++] = (store_refusal_t){.at = m->first,
                                             .path = (uint8_t)m->path,
                                             .code = m->code,
                                             .node = m->node,
                                             .msg = m->msg,
                                             .raw = b->arena + m->raw_off,
                                             .raw_len = m->raw_len,
                                             .raw_total = m->raw_total};
    }
    *w = (store_work_t){.ev = b->ev, .nev = b->nev, .refusals = b->refusals, .nrefusals = n};
    return 0;
}

/* ---- queue ---- */

int bqueue_init(bqueue_t *q, uint32_t batch_max, uint32_t queue_max)
{
    memset(q, 0, sizeof *q);
    q->max_weight = batch_max;
    q->max_held = queue_max;
    q->cap = queue_max / batch_max + 2;
    q->ring = calloc(q->cap, sizeof *q->ring);
    return q->ring ? 0 : -1;
}

void bqueue_free(bqueue_t *q)
{
    for (uint32_t i = 0; i < q->cap; i++)
        if (q->ring[i]) {
            batch_free(q->ring[i]);
            free(q->ring[i]);
        }
    free(q->ring);
    memset(q, 0, sizeof *q);
}

static batch_t *slot_at(bqueue_t *q, uint32_t k)
{
    return q->ring[(q->head + k) % q->cap];
}

batch_t *bqueue_open(bqueue_t *q, uint32_t weight)
{
    if (q->held + weight > q->max_held && q->held > 0) return NULL;
    if (q->n) {
        batch_t *open = slot_at(q, q->n - 1);
        if (!open->sealed && (open->weight + weight <= q->max_weight || open->weight == 0)) {
            q->held += weight;
            return open;
        }
    }
    if (q->n == q->cap) return NULL;
    uint32_t i = (q->head + q->n) % q->cap;
    if (!q->ring[i] && !(q->ring[i] = calloc(1, sizeof(batch_t)))) return NULL;
    q->n++;
    if (q->n > q->deep) q->deep = q->n;
    q->held += weight;
    return q->ring[i];
}

batch_t *bqueue_oldest(bqueue_t *q)
{
    return q->n ? slot_at(q, 0) : NULL;
}

void bqueue_seal(bqueue_t *q)
{
    if (q->n) slot_at(q, q->n - 1)->sealed = 1;
}

void bqueue_pop(bqueue_t *q)
{
    if (!q->n) return;
    batch_t *b = slot_at(q, 0);
    q->held -= b->weight < q->held ? b->weight : q->held;
    batch_clear(b);
    q->head = (q->head + 1) % q->cap;
    q->n--;
}

static size_t batch_bytes(const batch_t *b)
{
    return (size_t)b->cap_ev * sizeof *b->ev + (size_t)b->nchunks * BATCH_CHUNK * sizeof(bmsg_t) +
           b->cap_arena + (size_t)b->cap_refusals * sizeof *b->refusals;
}

size_t bqueue_shrink(bqueue_t *q, uint32_t keep)
{
    const uint32_t want = q->deep > keep ? q->deep : keep;
    size_t freed = 0;
    /* Idle slots cache the batches they last held, anywhere in the ring (the
     * head goes round): the ones kept move to the slots used next, so a
     * kept batch is reused before anything new is allocated. */
    uint32_t next = q->n; /* the next idle slot to fill with a kept batch */
    for (uint32_t k = q->n; k < q->cap; k++) {
        batch_t **slot = &q->ring[(q->head + k) % q->cap];
        if (!*slot) continue;
        if (next < want) {
            batch_t **to = &q->ring[(q->head + next++) % q->cap];
            batch_t *b = *slot;
            *slot = *to; /* NULL: the slots before k that are idle hold none */
            *to = b;
            continue;
        }
        freed += batch_bytes(*slot);
        batch_free(*slot);
        free(*slot);
        *slot = NULL;
    }
    q->deep = q->n;
    return freed;
}

int bqueue_open_full(const bqueue_t *q)
{
    if (!q->n) return 0;
    const batch_t *open = q->ring[(q->head + q->n - 1) % q->cap];
    return open->weight >= q->max_weight;
}

int bqueue_full(const bqueue_t *q)
{
    return q->held + ANTT_MAX_BATCH > q->max_held;
}

/* ---- lanes ---- */

int blanes_init(blanes_t *l, uint32_t n, uint32_t batch_max, uint32_t queue_max)
{
    memset(l, 0, sizeof *l);
    if (n < 1 || n > BLANES_MAX) return -1;
    l->n = n;
    l->max_held = queue_max;
    for (uint32_t i = 0; i < n; i++)
        if (bqueue_init(&l->lane[i], batch_max, queue_max) < 0) {
            blanes_free(l);
            return -1;
        }
    return 0;
}

void blanes_free(blanes_t *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->lane[i].ring) bqueue_free(&l->lane[i]);
    memset(l, 0, sizeof *l);
}

uint32_t blanes_lane(const blanes_t *l, const char *node, size_t n)
{
    if (l->n < 2 || !node) return 0;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)node[i]) * 16777619u;
    return h % l->n;
}

uint32_t blanes_held(const blanes_t *l)
{
    uint32_t held = 0;
    for (uint32_t i = 0; i < l->n; i++)
        held += l->lane[i].held;
    return held;
}

batch_t *blanes_open(blanes_t *l, uint32_t i, uint32_t weight)
{
    const uint32_t held = blanes_held(l);
    if (held + weight > l->max_held && held > 0) return NULL;
    return bqueue_open(&l->lane[i], weight);
}

int blanes_busy(const blanes_t *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const bqueue_t *q = &l->lane[i];
        if (q->n && q->ring[q->head]->weight) return 1;
    }
    return 0;
}

int blanes_full(const blanes_t *l)
{
    return blanes_held(l) + ANTT_MAX_BATCH > l->max_held;
}

size_t blanes_shrink(blanes_t *l, uint32_t keep)
{
    size_t freed = 0;
    for (uint32_t i = 0; i < l->n; i++)
        freed += bqueue_shrink(&l->lane[i], keep);
    return freed;
}
