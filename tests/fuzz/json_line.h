/* json_line: the fuzz targets' own judgement of one NDJSON line, apart from
 * lib/framing's: what the decoder must hand out as JSON, and nothing else.
 *
 * A line (without its '\n' and a final '\r') is JSON when it holds one value
 * alone, spaces aside, that cJSON parses from an exact-size copy (so that
 * cJSON cannot lean on bytes past the line), and no string in it holds a raw
 * control character: JSON.parse refuses those, so node would too. Nesting
 * past cJSON's limit is cJSON's own refusal.
 */
#ifndef FUZZ_JSON_LINE_H
#define FUZZ_JSON_LINE_H

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

static int json_line_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1 when the line is blank (empty or spaces only). */
static int json_line_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!json_line_space(line[i]))
            return 0;
    return 1;
}

/* 1 when a string of the line (of a value cJSON took) holds a byte below 0x20. */
static int json_line_raw_control(const char *line, size_t len)
{
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (!in_string)
            in_string = c == '"';
        else if (c == '\\')
            i++;
        else if (c == '"')
            in_string = 0;
        else if (c < 0x20)
            return 1;
    }
    return 0;
}

/* The value when the line is JSON (the caller deletes it), else NULL. */
static cJSON *json_line_parse(const char *line, size_t len)
{
    if (len == 0)
        return NULL;
    char *copy = malloc(len);
    if (!copy)
        abort();
    memcpy(copy, line, len);
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
    if (v) {
        size_t used = (size_t)(end - copy);
        while (used < len && json_line_space(copy[used]))
            used++;
        if (used != len || json_line_raw_control(copy, len)) {
            cJSON_Delete(v);
            v = NULL;
        }
    }
    free(copy);
    return v;
}

#endif
