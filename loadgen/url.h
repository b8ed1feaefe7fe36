/* http:// URLs on the command line: host literal, port, path. */
#ifndef LG_URL_H
#define LG_URL_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct lg_url_parts {
	char host[256]; /* without brackets for IPv6 */
	int port;
	const char *path;    /* into the URL: "/..." or "" */
	char authority[300]; /* host[:port] as written, for the Host header */
	struct sockaddr_storage addr;
	socklen_t addrlen;
} lg_url_parts;

/* Split and resolve (literals and "localhost" only: no DNS).  Returns 0, or -1
 * with a message for the user in err. */
int lg_url_parse(const char *url, lg_url_parts *out, char *err, size_t errlen);

#endif
