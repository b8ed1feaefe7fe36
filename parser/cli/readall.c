/* rbp_read_all: read a file descriptor to the end, with a cap. */
#include "rbp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rbp_read_all(int fd, size_t cap, char **out, size_t *out_len)
{
	/* Room for one byte past the cap tells "exactly cap" from "larger". */
	size_t limit = cap + 1;
	size_t size = limit < 65536 ? limit : 65536, len = 0;
	char *buf = malloc(size), *exact;
	int saved;

	if (!buf)
		return -1;
	for (;;) {
		if (len == size) {
			if (size == limit) {
				errno = EFBIG;
				goto err;
			}
			size_t next = size > limit / 2 ? limit : size * 2;
			char *p = realloc(buf, next);
			if (!p)
				goto err;
			buf = p;
			size = next;
		}
		ssize_t n = read(fd, buf + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > cap) {
		errno = EFBIG;
		goto err;
	}
	/* Exactly the input's size: a parser that reads past the end is caught
	 * by AddressSanitizer instead of reading slack. */
	exact = malloc(len ? len : 1);
	if (!exact)
		goto err;
	memcpy(exact, buf, len);
	free(buf);
	*out = exact;
	*out_len = len;
	return 0;
err:
	saved = errno;
	free(buf);
	errno = saved;
	return -1;
}
