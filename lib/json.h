/* json.h -- reading and writing whole JSON documents with precise errors */
#ifndef SHARDKIT_JSON_H
#define SHARDKIT_JSON_H

#include <stdio.h>

#include <jansson.h>

/*
 * Read one JSON document from path ("-" means standard input).  On a syntax
 * error, reports "prog: SOURCE:LINE:COLUMN: message" (SOURCE is the file name
 * or "<stdin>") and returns NULL; the first error is the one reported, as jq
 * and jansson do.  A document that is not an object is rejected too.
 * Caller owns the returned reference (json_decref).
 */
json_t *json_document_read(const char *path);
json_t *json_document_read_stream(FILE *stream, const char *source);

/*
 * The same, telling failures apart for the exit status: returns 0 and sets
 * *doc, EXIT_STATUS_FAILURE when path cannot be opened or read, or
 * EXIT_STATUS_INPUT when the document is malformed (both reported).
 */
int json_document_load(const char *path, json_t **doc);

/* "<stdin>" for "-", else path: the name used in diagnostics. */
const char *json_document_source(const char *path);

/*
 * Serialise doc completely in memory, then write it with a trailing newline:
 * to stdout by json_document_print (so a failure half-way prints nothing),
 * or atomically to path by json_document_save (mode 0644 unless a stricter
 * mode is given).  Keys keep insertion order; output is indented by 2.
 * Return 0, or -1 after reporting.
 */
int json_document_print(const json_t *doc, FILE *out);
int json_document_save(const json_t *doc, const char *path, int mode);

/* Compact single-line form, for JSON-lines streams. */
int json_document_print_line(const json_t *doc, FILE *out);

/* "an object", "a string", ..., "null": a value's type for "expected X, found Y". */
const char *json_type_name(const json_t *v);

#endif
