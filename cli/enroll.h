/* enroll.h — who may connect: `antt keygen`, `antt node add|revoke|list` and
 * `antt subscriber add|revoke|list` (PROTOCOL.md section 15). Keys live in
 * PostgreSQL (antt.nodes.public_key, antt.subscribers); a running anttd hears
 * of every change (NOTIFY antt_registry) and acts on it at once. */
#ifndef ANTT_CLI_ENROLL_H
#define ANTT_CLI_ENROLL_H

typedef enum { ENROLL_NODES, ENROLL_SUBSCRIBERS } enroll_kind_t;

/* antt keygen FILE. Returns the exit code. */
int enroll_keygen(int argc, char **argv);

/* antt node|subscriber add|revoke|list ... Returns the exit code. */
int enroll_main(enroll_kind_t kind, int argc, char **argv);

#endif
