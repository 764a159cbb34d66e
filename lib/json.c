/* json.c -- reading and writing whole JSON documents with precise errors
 *
 * Every program's input and output documents pass through here so that
 * every syntax error has the same shape (SOURCE:LINE:COLUMN) and output is
 * never partial: a document is rendered in memory before the first byte is
 * written.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "file.h"
#include "json.h"

const char *
json_document_source(const char *path)
{
	return (path == NULL || strcmp(path, "-") == 0) ? "<stdin>" : path;
}

json_t *
json_document_read_stream(FILE *stream, const char *source)
{
	json_error_t err;
	json_t *doc;
	size_t len;
	char *text;

	text = file_read_stream(stream, source, &len);
	if (text == NULL)
		return NULL;
	if (len == 0) {
		error_report("%s:1:0: empty input: expected a JSON object", source);
		free(text);
		return NULL;
	}
	/*
	 * JSON_REJECT_DUPLICATES: a duplicated key would silently win in some
	 * readers and lose in others; in a shared configuration that is a bug.
	 * JSON_ALLOW_NUL is not set: a NUL inside a string is an error.
	 */
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	free(text);
	if (doc == NULL) {
		error_report("%s:%d:%d: %s", source, err.line, err.column, err.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		error_report("%s:1:1: expected a JSON object at the top level", source);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *
json_document_read(const char *path)
{
	const char *source = json_document_source(path);
	json_t *doc;
	FILE *f;

	if (strcmp(source, "<stdin>") == 0)
		return json_document_read_stream(stdin, source);
	f = fopen(path, "r");
	if (f == NULL) {
		error_report("could not open \"%s\": %s", path, strerror(errno));
		return NULL;
	}
	doc = json_document_read_stream(f, source);
	fclose(f);
	return doc;
}

int
json_document_load(const char *path, json_t **doc)
{
	const char *source = json_document_source(path);
	FILE *f = stdin;

	*doc = NULL;
	if (strcmp(source, "<stdin>") != 0) {
		f = fopen(path, "r");
		if (f == NULL) {
			error_report("could not open \"%s\": %s", path, strerror(errno));
			return EXIT_STATUS_FAILURE;
		}
	}
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		return EXIT_STATUS_FAILURE;
	}
	*doc = json_document_read_stream(f, source);
	/* A read error leaves the stream's error flag set; bad JSON does not. */
	if (*doc == NULL && ferror(f)) {
		if (f != stdin)
			fclose(f);
		return EXIT_STATUS_FAILURE;
	}
	if (f != stdin)
		fclose(f);
	return *doc != NULL ? 0 : EXIT_STATUS_INPUT;
}

static char *
render(const json_t *doc, size_t flags)
{
	char *text = json_dumps(doc, flags | JSON_PRESERVE_ORDER);

	if (text == NULL)
		error_report("could not serialise a JSON document: out of memory");
	return text;
}

static int
print_rendered(char *text, FILE *out)
{
	size_t len = strlen(text);
	int rc = 0;

	if (fwrite(text, 1, len, out) != len || fputc('\n', out) == EOF) {
		/*
		 * Standard output's failure is reported once, by error_finish(),
		 * which every program ends with; reporting it here too would make
		 * a full disk a two-line error.
		 */
		if (out != stdout)
			error_report("could not write output: %s", strerror(errno));
		rc = -1;
	}
	free(text);
	return rc;
}

int
json_document_print(const json_t *doc, FILE *out)
{
	char *text = render(doc, JSON_INDENT(2));

	return text == NULL ? -1 : print_rendered(text, out);
}

int
json_document_print_line(const json_t *doc, FILE *out)
{
	char *text = render(doc, JSON_COMPACT);
	int rc;

	if (text == NULL)
		return -1;
	rc = print_rendered(text, out);
	if (rc == 0 && fflush(out) != 0)
		rc = -1;
	return rc;
}

int
json_document_save(const json_t *doc, const char *path, int mode)
{
	char *text = render(doc, JSON_INDENT(2));
	size_t len;
	int rc;

	if (text == NULL)
		return -1;
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	text[len + 1] = '\0';
	rc = file_write_atomic(path, text, len + 1, mode ? (mode_t)mode : 0644);
	free(text);
	return rc;
}

const char *
json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}
