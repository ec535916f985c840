/* log.h — one line per event of interest, to stderr:
 *   2026-11-22T20:04:03.123Z info store: connected host=127.0.0.1 port=5432
 * Never called per message on the hot path: the daemon counts instead, and
 * logs state changes (database up/down, queue full/drained) once each. */
#ifndef ANTT_DAEMON_LOG_H
#define ANTT_DAEMON_LOG_H

typedef enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level_t;

void log_set_level(log_level_t lvl);

/* "error", "warn", "info", "debug" -> level; -1 for anything else. */
int log_level_parse(const char *s);

void log_msg(log_level_t lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(c, ...) log_msg(LOG_ERROR, c, __VA_ARGS__)
#define log_warn(c, ...)  log_msg(LOG_WARN, c, __VA_ARGS__)
#define log_info(c, ...)  log_msg(LOG_INFO, c, __VA_ARGS__)
#define log_debug(c, ...) log_msg(LOG_DEBUG, c, __VA_ARGS__)

#endif
