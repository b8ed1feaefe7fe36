/* Every error status, and that after it the connection is closed (or, where
 * the framing is known, still in sync). */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static srvp S;
static void fini(void)
{
	srvp_cleanup(&S);
}
TestSuite(errors, .fini = fini, .timeout = 60);

/* Send req on a fresh connection; the response must start with status_line,
 * contain Connection: close, and be followed by EOF (closed, not reset). */
static void expect_close(const char *req, const char *status_line, const char *body)
{
	int fd = tc_connect(S.port);
	tc_send_str(fd, req);
	static char buf[65536];
	int reset;
	size_t n = tc_read_eof(fd, buf, sizeof(buf), &reset);
	cr_assert_not(reset, "reset instead of a response for %s", req);
	tc_mask_date(buf, n);
	cr_assert(strncmp(buf, status_line, strlen(status_line)) == 0, "got: %s", buf);
	cr_assert(strstr(buf, "\r\nConnection: close\r\n"), "got: %s", buf);
	if (body) {
		char *b = strstr(buf, "\r\n\r\n");
		cr_assert(b);
		cr_assert_str_eq(b + 4, body);
	}
	close(fd);
}

Test(errors, parse_errors_close)
{
	srvp_start(&S, NULL);
	expect_close("GET /plaintext HTTP/1.1\nHost: t\n\n", "HTTP/1.1 400 Bad Request\r\n",
		     "400 Bad Request: bare_lf\n");
	expect_close("GET /plaintext HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n",
		     "400 Bad Request: host\n");
	expect_close("GET /plain text HTTP/1.1\r\nHost: t\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n",
		     NULL);
	char *longt = tc_repeat("a", 9000);
	char req[10000];
	snprintf(req, sizeof(req), "GET /%s HTTP/1.1\r\nHost: t\r\n\r\n", longt);
	free(longt);
	expect_close(req, "HTTP/1.1 414 URI Too Long\r\n", "414 URI Too Long: target_too_long\n");
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(errors, header_block_too_large)
{
	const char *args[] = {"--max-header-bytes", "256", NULL};
	srvp_start(&S, args);
	char *pad = tc_repeat("x", 300);
	char req[1024];
	snprintf(req, sizeof(req), "GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Pad: %s\r\n\r\n", pad);
	free(pad);
	expect_close(req, "HTTP/1.1 431 Request Header Fields Too Large\r\n",
		     "431 Request Header Fields Too Large: headers_too_large\n");
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(errors, smuggling_cl_te)
{
	srvp_start(&S, NULL);
	expect_close(
		"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
		"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /json HTTP/1.1\r\nHost: t\r\n\r\n",
		"HTTP/1.1 400 Bad Request\r\n", "400 Bad Request: cl_and_te\n");
	expect_close("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n"
		     "\r\nabcde",
		     "HTTP/1.1 400 Bad Request\r\n", "400 Bad Request: content_length\n");
	expect_close("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "zz\r\n",
		     "HTTP/1.1 400 Bad Request\r\n", "400 Bad Request: chunk_size\n");
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(errors, method_version_expect)
{
	srvp_start(&S, NULL);
	expect_close("BREW /plaintext HTTP/1.1\r\nHost: t\r\n\r\n",
		     "HTTP/1.1 501 Not Implemented\r\n",
		     "501 Not Implemented: method not implemented\n");
	expect_close("GET /plaintext HTTP/2.0\r\nHost: t\r\n\r\n",
		     "HTTP/1.1 505 HTTP Version Not Supported\r\n",
		     "505 HTTP Version Not Supported: only HTTP/1.x is served\n");
	expect_close("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: tea\r\nContent-Length: 3\r\n\r\n",
		     "HTTP/1.1 417 Expectation Failed\r\n",
		     "417 Expectation Failed: only 100-continue can be met\n");
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(errors, body_too_large)
{
	const char *args[] = {"--max-body", "10", NULL};
	srvp_start(&S, args);
	expect_close("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world",
		     "HTTP/1.1 413 Content Too Large\r\n",
		     "413 Content Too Large: body larger than --max-body\n");
	expect_close("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n",
		     "HTTP/1.1 413 Content Too Large\r\n",
		     "413 Content Too Large: body larger than --max-body\n");
	/* within the limit: fine */
	int fd = tc_connect(S.port);
	tc_send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhelloworld");
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\nhelloworld");
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}

Test(errors, expect_100_continue)
{
	srvp_start(&S, NULL);
	int fd = tc_connect(S.port);
	tc_send_str(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
			"Content-Length: 5\r\n\r\n");
	tc_expect(fd, 1, 0, "HTTP/1.1 100 Continue\r\n\r\n");
	tc_send_str(fd, "hello");
	tc_expect(fd, 1, 0,
		  "HTTP/1.1 200 OK\r\nServer: rbserver\r\nDate: DATE\r\n"
		  "Content-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\nhello");
	close(fd);
	cr_assert_eq(srvp_stop(&S), 0);
}
