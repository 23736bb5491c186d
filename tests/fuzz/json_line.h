/* json_line: the fuzz targets' own judgement of one NDJSON line, apart from
 * lib/framing's: what the decoder must hand out as JSON, and nothing else.
 *
 * A line (without its '\n' and a final '\r') is JSON when it holds one value
 * alone, spaces aside, that cJSON parses from an exact-size copy (so that
 * cJSON cannot lean on bytes past the line), no string in it holds a raw
 * control character, no other control character than JSON's spaces stands
 * between its tokens, and its numbers keep to JSON's grammar (cJSON reads
 * "01" and "1." through strtod): JSON.parse refuses those, so node would too.
 * Nesting past cJSON's limit is cJSON's own refusal.
 */
#ifndef FUZZ_JSON_LINE_H
#define FUZZ_JSON_LINE_H

#include <cJSON.h>
#include <regex.h>
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

/* 1 when the n bytes at s are a number as JSON writes it. */
static int json_line_number(const char *s, size_t n)
{
    static regex_t number;
    static int compiled;
    if (!compiled) {
        if (regcomp(&number, "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$",
                    REG_EXTENDED | REG_NOSUB) != 0)
            abort();
        compiled = 1;
    }
    char *token = malloc(n + 1);
    if (!token)
        abort();
    memcpy(token, s, n);
    token[n] = '\0';
    int ok = regexec(&number, token, 0, NULL, 0) == 0;
    free(token);
    return ok;
}

/* 1 when, outside its strings, the line (of a value cJSON took) holds a
 * control character other than JSON's spaces, or a number JSON does not
 * allow. */
static int json_line_loose(const char *line, size_t len)
{
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c < 0x20 && !json_line_space((char)c)) {
            return 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i; /* the bytes cJSON hands to strtod */
            while (j < len && line[j] && strchr("0123456789+-.eE", line[j]))
                j++;
            if (!json_line_number(line + i, j - i))
                return 1;
            i = j - 1;
        }
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
        if (used != len || json_line_raw_control(copy, len) || json_line_loose(copy, len)) {
            cJSON_Delete(v);
            v = NULL;
        }
    }
    free(copy);
    return v;
}

#endif
