/* Content-Type of a static file, from its name's extension. */
#ifndef SRV_MIME_H
#define SRV_MIME_H

#include <stddef.h>

/* The media type for the file name name[0, len) (the extension after the
 * last '.' of the last segment, compared without case); text types carry
 * charset=utf-8.  Unknown or no extension: application/octet-stream. */
const char *srv_mime_type(const char *name, size_t len);

#endif
