/* publisher.c — the fold's windows, published (see publisher.h). */
#include "daemon/publisher.h"

#include "daemon/log.h"
#include "daemon/loop.h"

#include <stdlib.h>
#include <string.h>

/* Windows published in one turn of the loop at most: the stations' rows
 * wait no longer than that for their turn. */
#define TURN_WINDOWS 64

struct publisher {
    folder_t *folder;
    stream_t *stream;
    const reg_t *reg;
    uint64_t windows;
};

publisher_t *publisher_new(folder_t *folder, stream_t *stream, const reg_t *reg)
{
    publisher_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->folder = folder;
    p->stream = stream;
    p->reg = reg;
    return p;
}

void publisher_free(publisher_t **p)
{
    free(*p);
    *p = NULL;
}

int publisher_leading(const publisher_t *p)
{
    if (!p) return 0;
    folder_stats_t st;
    folder_stats(p->folder, &st);
    return st.leading;
}

uint64_t publisher_windows(const publisher_t *p)
{
    return p ? p->windows : 0;
}

/* One window from the fold's socket: 1 published, 0 none waiting. */
static int one(publisher_t *p, void *sock)
{
    uint64_t head[2];
    int n = zmq_recv(sock, head, sizeof head, ZMQ_DONTWAIT);
    if (n < 0) return 0;
    zmq_msg_t body;
    zmq_msg_init(&body);
    int more = 0;
    size_t ml = sizeof more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &ml);
    if (!more || zmq_msg_recv(&body, sock, 0) < 0 || n != FOLDER_HEAD_BYTES) {
        log_error("stream", "a window from the fold is not laid out as expected: skipped");
    } else if (stream_publish_log(p->stream, p->reg, head[0], head[1], zmq_msg_data(&body),
                                  zmq_msg_size(&body)) < 0) {
        log_error("stream", "window %llu is not laid out as expected: skipped",
                  (unsigned long long)head[1]);
    } else {
        p->windows++;
    }
    zmq_msg_close(&body);
    return 1;
}

void publisher_drain(publisher_t *p)
{
    void *sock = p ? folder_socket(p->folder) : NULL;
    if (sock)
        while (one(p, sock))
            ;
}

int publisher_items(void *state, int64_t now, zmq_pollitem_t *it)
{
    (void)now;
    publisher_t *p = state;
    void *sock = folder_socket(p->folder);
    if (!sock) return 0;
    it[0] = (zmq_pollitem_t){sock, 0, ZMQ_POLLIN, 0};
    return 1;
}

int64_t publisher_run(void *state, int64_t now)
{
    (void)now;
    publisher_t *p = state;
    void *sock = folder_socket(p->folder);
    for (int i = 0; sock && i < TURN_WINDOWS && one(p, sock); i++)
        ;
    return LOOP_NEVER;
}
