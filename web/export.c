/* export.c — see export.h. */
#include "web/export.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* One field: quoted when it holds a comma, a quote or a line end; text
 * that a spreadsheet would take for a formula after a '. */
static void field(FILE *out, const char *s, int text)
{
    const int formula = text && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t');
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (formula) fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* A value as a field: null empty, numbers and booleans as written, text
 * as it is, anything nested as its JSON. */
static void value(FILE *out, json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: break;
    case json_type_string: field(out, json_object_get_string(v), 1); break;
    case json_type_object:
    case json_type_array:
        field(out, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), 0);
        break;
    default: /* numbers keep the database's text; true, false */
        field(out, json_object_get_string(v), 0);
    }
}

static int rows(FILE *out, json_object *list, char *err, size_t errlen)
{
    if (!json_object_is_type(list, json_type_array)) {
        snprintf(err, errlen, "not a list");
        return -1;
    }
    const size_t n = json_object_array_length(list);
    if (!n) return 0;
    json_object *first = json_object_array_get_idx(list, 0);
    if (!json_object_is_type(first, json_type_object)) {
        snprintf(err, errlen, "not a list of rows");
        return -1;
    }
    int col = 0;
    json_object_object_foreach(first, key, unused)
    {
        (void)unused;
        if (col++) fputc(',', out);
        field(out, key, 0);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        json_object *row = json_object_array_get_idx(list, i);
        col = 0;
        json_object_object_foreach(first, k, u)
        {
            (void)u;
            json_object *v = NULL;
            if (col++) fputc(',', out);
            if (json_object_object_get_ex(row, k, &v)) value(out, v);
        }
        fputc('\n', out);
    }
    return 0;
}

/* b - a for two numbers, written as the database would (whole numbers
 * whole, else two decimals); nothing when either is not a number. */
static void change(FILE *out, json_object *now, json_object *then)
{
    const json_type tn = json_object_get_type(now), tt = json_object_get_type(then);
    if (tn == json_type_int && tt == json_type_int)
        fprintf(out, "%lld", (long long)(json_object_get_int64(now) - json_object_get_int64(then)));
    else if ((tn == json_type_int || tn == json_type_double) &&
             (tt == json_type_int || tt == json_type_double))
        fprintf(out, "%.2f", json_object_get_double(now) - json_object_get_double(then));
}

/* A scalar member of o as figure rows "prefix+key,value[,compare,change]". */
static void figure_rows(FILE *out, json_object *o, json_object *cmp, const char *prefix,
                        int with_cmp)
{
    if (!json_object_is_type(o, json_type_object)) return;
    json_object_object_foreach(o, key, v)
    {
        const json_type t = json_object_get_type(v);
        if (t == json_type_object || t == json_type_array) continue;
        fprintf(out, "%s", prefix);
        field(out, key, 0);
        fputc(',', out);
        value(out, v);
        if (with_cmp) {
            json_object *c = NULL;
            fputc(',', out);
            if (cmp && json_object_object_get_ex(cmp, key, &c)) {
                value(out, c);
                fputc(',', out);
                change(out, v, c);
            } else {
                fputc(',', out);
            }
        }
        fputc('\n', out);
    }
}

static int overview(FILE *out, json_object *o, char *err, size_t errlen)
{
    json_object *fig = NULL, *cmp = NULL, *wanted = NULL, *targets = NULL, *partial = NULL;
    if (!json_object_object_get_ex(o, "figures", &fig) ||
        !json_object_is_type(fig, json_type_object)) {
        snprintf(err, errlen, "no figures");
        return -1;
    }
    json_object_object_get_ex(o, "compare", &cmp);
    const int with_cmp = json_object_is_type(cmp, json_type_object);
    fputs(with_cmp ? "figure,value,compare,change\n" : "figure,value\n", out);
    figure_rows(out, fig, with_cmp ? cmp : NULL, "", with_cmp);
    if (json_object_object_get_ex(o, "wanted", &wanted))
        figure_rows(out, wanted, NULL, "wanted_", with_cmp);
    if (json_object_object_get_ex(o, "targets", &targets))
        figure_rows(out, targets, NULL, "target_", with_cmp);
    if (json_object_object_get_ex(o, "partial_units", &partial) &&
        json_object_is_type(partial, json_type_array))
        for (size_t i = 0; i < json_object_array_length(partial); i++) {
            json_object *p = json_object_array_get_idx(partial, i), *code = p;
            if (json_object_is_type(p, json_type_object))
                json_object_object_get_ex(p, "code", &code);
            fputs("partial_unit,", out);
            value(out, code);
            fputs(with_cmp ? ",,\n" : "\n", out);
        }
    return 0;
}

int export_csv(const char *endpoint, const char *json, const char *part, FILE *out, char *err,
               size_t errlen)
{
    json_object *o = json_tokener_parse(json);
    if (!o) {
        snprintf(err, errlen, "the answer is not JSON");
        return -1;
    }
    int rc;
    if (!strcmp(endpoint, "overview")) {
        rc = overview(out, o, err, errlen);
    } else if (!strcmp(endpoint, "tipoffs")) {
        json_object *list = NULL;
        const char *name = part && *part ? part : "overdue";
        rc = json_object_object_get_ex(o, name, &list) ? rows(out, list, err, errlen) : -1;
        if (!list) snprintf(err, errlen, "no list %s", name);
    } else {
        rc = rows(out, o, err, errlen);
    }
    json_object_put(o);
    return rc;
}

void export_filename(char *out, size_t cap, const char *endpoint, const char *unit,
                     const char *from, const char *to)
{
    if (from && *from && to && *to)
        snprintf(out, cap, "%s-%s-%s-%s.csv", endpoint, unit, from, to);
    else
        snprintf(out, cap, "%s-%s.csv", endpoint, unit && *unit ? unit : "all");
    for (char *p = out; *p; p++)
        if (*p == ':') *p = '-';
}
