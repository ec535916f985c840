/* export.c — see export.h. */
#include "web/export.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* The columns of each list, for an empty one (which has no first row to
 * read them from); a list with rows has its own keys, and test_web holds
 * the two equal. */
static const struct {
    const char *endpoint, *part, *header;
} HEADERS[] = {
    {"children", "",
     "code,name,occurred,cleared,suspects,carried_over,clearance_plain,clearance_carry,"
     "major_occurred,major_cleared,major_carried_over,major_clearance_plain,major_clearance_carry,"
     "tipoffs_received,tipoffs_transferred,tipoffs_resumed,tipoffs_carried_over,tipoffs_to_resolve,"
     "tipoffs_resolved,resolution_rate,resolution_plain,tipoffs_overdue,traffic_accidents,"
     "traffic_deaths,traffic_injuries,drug_cases,drug_suspects"},
    {"months", "", "month,occurred,cleared,received,resolved"},
    {"overdue", "", "day,overdue"},
    {"stations", "",
     "node,unit,unit_name,last_message_at,seq_max,missing,events_today,connected,state"},
    {"units", "", "code,name,level"},
    {"tipoffs", "overdue", "unit,unit_name,ref,kind,received_at,deadline,extended,days_left"},
    {"tipoffs", "due", "unit,unit_name,ref,kind,received_at,deadline,extended,days_left"},
    {"tipoffs", "times", "unit,name,decided,p50_days,p90_days,max_days"},
};

const char *export_header(const char *endpoint, const char *part)
{
    const char *pt = part && *part ? part : !strcmp(endpoint, "tipoffs") ? "overdue" : "";
    for (size_t i = 0; i < sizeof HEADERS / sizeof HEADERS[0]; i++)
        if (!strcmp(HEADERS[i].endpoint, endpoint) && !strcmp(HEADERS[i].part, pt))
            return HEADERS[i].header;
    return NULL;
}

/* One field: quoted when it holds a comma, a quote or a line end; text
 * that a spreadsheet would take for a formula after a '. */
static void field(FILE *out, const char *s, int text)
{
    const int formula =
        text && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r');
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

static int rows(FILE *out, json_object *list, const char *empty_header, char *err, size_t errlen)
{
    if (!json_object_is_type(list, json_type_array)) {
        snprintf(err, errlen, "not a list");
        return -1;
    }
    const size_t n = json_object_array_length(list);
    if (!n) {
        if (empty_header) fprintf(out, "%s\n", empty_header);
        return 0;
    }
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

/* Figures counted as of today whatever the period (the tip-offs overdue
 * now): a comparison period has the same number, so none is written. */
static int as_of_today(const char *key)
{
    return !strcmp(key, "tipoffs_overdue");
}

/* A scalar member of o as figure rows "prefix+key,value[,compare,change]"
 * (its "code" is the unit's, said once above). */
static void figure_rows(FILE *out, json_object *o, json_object *cmp, const char *prefix,
                        int with_cmp)
{
    if (!json_object_is_type(o, json_type_object)) return;
    json_object_object_foreach(o, key, v)
    {
        const json_type t = json_object_get_type(v);
        if (t == json_type_object || t == json_type_array || !strcmp(key, "code")) continue;
        fprintf(out, "%s", prefix);
        field(out, key, 0);
        fputc(',', out);
        value(out, v);
        if (with_cmp) {
            json_object *c = NULL;
            fputc(',', out);
            if (cmp && !as_of_today(key) && json_object_object_get_ex(cmp, key, &c)) {
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
    /* what the figures are of: the unit, and each period in its column */
    static const char *const ABOUT[] = {"unit", "name", "from", "to"};
    for (size_t i = 0; i < sizeof ABOUT / sizeof ABOUT[0]; i++) {
        json_object *v = NULL;
        json_object_object_get_ex(o, ABOUT[i], &v);
        fprintf(out, "%s,", ABOUT[i]);
        value(out, v);
        if (with_cmp) {
            json_object *c = NULL;
            if (i >= 2) json_object_object_get_ex(o, i == 2 ? "cfrom" : "cto", &c);
            fputc(',', out);
            value(out, c);
            fputc(',', out);
        }
        fputc('\n', out);
    }
    figure_rows(out, fig, with_cmp ? cmp : NULL, "", with_cmp);
    if (json_object_object_get_ex(o, "wanted", &wanted))
        figure_rows(out, wanted, NULL, "", with_cmp);
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
        rc = json_object_object_get_ex(o, name, &list)
                 ? rows(out, list, export_header(endpoint, name), err, errlen)
                 : -1;
        if (!list) snprintf(err, errlen, "no list %s", name);
    } else {
        rc = rows(out, o, export_header(endpoint, ""), err, errlen);
    }
    json_object_put(o);
    return rc;
}

void export_filename(char *out, size_t cap, const char *endpoint, const char *unit,
                     const char *from, const char *to, const char *ext)
{
    if (from && *from && to && *to)
        snprintf(out, cap, "%s-%s-%s-%s.%s", endpoint, unit, from, to, ext);
    else
        snprintf(out, cap, "%s-%s.%s", endpoint, unit && *unit ? unit : "all", ext);
    for (char *p = out; *p; p++)
        if (*p == ':') *p = '-';
}
