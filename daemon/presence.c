/* presence.c — see presence.h. Nodes in a string-keyed table (never removed:
 * a station disconnected stays a row with count 0), descriptors in an array
 * indexed by descriptor. */
#include "daemon/presence.h"

#include "proto/ev.h"
#include "proto/hindex.h"
#include "proto/util.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char node[ANTT_MAX_NODE_BYTES + 1];
    uint32_t conns; /* connections open now */
    uint8_t dirty;  /* state changed since the last write */
} pnode_t;

struct presence {
    htab_t nodes;
    uint32_t *fd_node; /* descriptor -> node index + 1 (0: nobody) */
    uint32_t cap_fd;
    uint32_t dirty; /* nodes with dirty set */
    int connected;  /* nodes with conns > 0 */
};

presence_t *presence_new(void)
{
    presence_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nodes.size = sizeof(pnode_t);
    p->nodes.keycap = ANTT_MAX_NODE_BYTES + 1;
    return p;
}

void presence_free(presence_t **p)
{
    if (!*p) return;
    htab_free(&(*p)->nodes);
    free((*p)->fd_node);
    free(*p);
    *p = NULL;
}

static void mark(presence_t *p, pnode_t *n)
{
    if (!n->dirty) p->dirty++;
    n->dirty = 1;
}

int presence_seen(presence_t *p, int fd, const char *node)
{
    if (fd < 0 || !node || !node[0]) return 0;
    if ((uint32_t)fd < p->cap_fd && p->fd_node[fd]) {
        const pnode_t *was = htab_at(&p->nodes, p->fd_node[fd] - 1);
        if (!strcmp(was->node, node)) return 0; /* the usual case: nothing new */
        presence_closed(p, fd);                 /* the descriptor was reused by another key */
    }
    const uint32_t had = p->cap_fd;
    if (grow_array((void **)&p->fd_node, &p->cap_fd, (uint32_t)fd + 1, sizeof *p->fd_node) < 0)
        return -1;
    if (p->cap_fd > had) /* new descriptors are nobody's yet */
        memset(p->fd_node + had, 0, (p->cap_fd - had) * sizeof *p->fd_node);
    pnode_t *n = htab_get_or_add(&p->nodes, node, strlen(node));
    if (!n) return -1;
    p->fd_node[fd] = (uint32_t)(n - (pnode_t *)p->nodes.items) + 1;
    if (n->conns++ == 0) {
        p->connected++;
        mark(p, n);
    }
    return 0;
}

void presence_closed(presence_t *p, int fd)
{
    if (fd < 0 || (uint32_t)fd >= p->cap_fd || !p->fd_node[fd]) return;
    pnode_t *n = htab_at(&p->nodes, p->fd_node[fd] - 1);
    p->fd_node[fd] = 0;
    if (n->conns && --n->conns == 0) {
        p->connected--;
        mark(p, n);
    }
}

int presence_connected(const presence_t *p)
{
    return p->connected;
}

int presence_pending(const presence_t *p)
{
    return p->dirty > 0;
}

int presence_flush(presence_t *p, presence_write_fn fn, void *ctx)
{
    if (!p->dirty) return 0;
    const char **nodes = malloc(p->dirty * sizeof *nodes);
    int *connected = malloc(p->dirty * sizeof *connected);
    int n = 0, rc = -1;
    if (!nodes || !connected) goto out;
    for (uint32_t i = 0; i < p->nodes.n; i++) {
        const pnode_t *x = htab_at(&p->nodes, i);
        if (!x->dirty) continue;
        nodes[n] = x->node;
        connected[n++] = x->conns > 0;
    }
    rc = fn(ctx, nodes, connected, n);
    if (rc == 0) {
        for (uint32_t i = 0; i < p->nodes.n; i++)
            ((pnode_t *)htab_at(&p->nodes, i))->dirty = 0;
        p->dirty = 0;
    }
out:
    free(nodes);
    free(connected);
    return rc;
}
