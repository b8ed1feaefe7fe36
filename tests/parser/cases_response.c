/*
 * Response rows (RFC 9112 §4 status line, §6.3 message body length).
 * A close-delimited response (RP_BODY_CLOSE) ends with the connection, so
 * whether RP_F_KEEP_ALIVE is set there is not checked.
 */
#include "cases.h"

#define S200 "HTTP/1.1 200 OK\r\n"
#define KA RP_F_KEEP_ALIVE
#define NOKA .flags_ignore = RP_F_KEEP_ALIVE
#define FOLD RP_F_OBS_FOLD

/* clang-format off */
const struct rt_case rt_response_cases[] = {
	/* ---- valid ---- */
	RESP("200 with Content-Length", S200 "Content-Length: 5\r\n\r\nhello", .tail = 5,
	     .version = "1.1", .status = 200, .reason = "OK", .framing = RP_BODY_LENGTH, .cl = 5,
	     .flags = KA, .h = {{"Content-Length", "5"}}),
	RESP("200 without framing headers: read until close (§6.3 rule 8)", S200 "\r\n",
	     .status = 200, .framing = RP_BODY_CLOSE, NOKA, .nh = 0),
	RESP("200 chunked", S200 "Transfer-Encoding: chunked\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CHUNKED, .flags = KA),
	RESP("chunked is case-insensitive", S200 "Transfer-Encoding: CHUNKED\r\n\r\n",
	     .status = 200, .framing = RP_BODY_CHUNKED, .flags = KA),
	RESP("gzip, chunked", S200 "Transfer-Encoding: gzip, chunked\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CHUNKED, .flags = KA),
	RESP("codings split over two headers", S200
	     "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CHUNKED, .flags = KA),
	RESP("TE gzip alone in a response: close-delimited (§6.3 rule 4)", S200
	     "Transfer-Encoding: gzip\r\n\r\n", .status = 200, .framing = RP_BODY_CLOSE, NOKA),
	RESP("TE 'chunked, gzip' in a response: close-delimited", S200
	     "Transfer-Encoding: chunked, gzip\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CLOSE, NOKA),
	RESP("Content-Length 0", S200 "Content-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .cl = 0, .flags = KA),
	RESP("identical Content-Length list", S200 "Content-Length: 5, 5\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .cl = 5, .flags = KA),
	RESP("204 has no body whatever CL says (§6.3 rule 1)", "HTTP/1.1 204 No Content\r\n"
	     "Content-Length: 5\r\n\r\n", .status = 204, .reason = "No Content",
	     .framing = RP_BODY_NONE, .flags = KA),
	RESP("304 has no body whatever TE says", "HTTP/1.1 304 Not Modified\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n", .status = 304, .framing = RP_BODY_NONE,
	     .flags = KA),
	RESP("304 without headers", "HTTP/1.1 304 Not Modified\r\n\r\n", .status = 304,
	     .framing = RP_BODY_NONE, .flags = KA),
	RESP("100 Continue", "HTTP/1.1 100 Continue\r\n\r\n", .status = 100, .reason = "Continue",
	     .framing = RP_BODY_NONE, .flags = KA),
	RESP("103 with CL: still no body", "HTTP/1.1 103 Early Hints\r\nContent-Length: 9\r\n"
	     "Link: </s.css>; rel=preload\r\n\r\n", .status = 103, .framing = RP_BODY_NONE,
	     .flags = KA),
	RESP("101 Switching Protocols", "HTTP/1.1 101 Switching Protocols\r\n"
	     "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", .status = 101,
	     .framing = RP_BODY_NONE, .flags = KA | RP_F_CONN_UPGRADE),
	RESP("response to HEAD: no body whatever CL says", S200 "Content-Length: 5\r\n\r\n",
	     .rflags = RP_RESPONSE_TO_HEAD, .status = 200, .framing = RP_BODY_NONE, .flags = KA),
	RESP("response to HEAD: no body whatever TE says", S200
	     "Transfer-Encoding: chunked\r\n\r\n", .rflags = RP_RESPONSE_TO_HEAD, .status = 200,
	     .framing = RP_BODY_NONE, .flags = KA),
	RESP("response to HEAD without framing headers", S200 "\r\n",
	     .rflags = RP_RESPONSE_TO_HEAD, .status = 200, .framing = RP_BODY_NONE, NOKA),
	RESP("empty reason after the SP", "HTTP/1.1 204 \r\n\r\n", .status = 204, .reason = "",
	     .framing = RP_BODY_NONE, .flags = KA),
	RESP("reason with SP, HTAB, obs-text and VCHAR",
	     "HTTP/1.1 404 Not  Found\t(x)/:\x80\xff" "!\r\nContent-Length: 0\r\n\r\n",
	     .status = 404, .reason = "Not  Found\t(x)/:\x80\xff" "!", .framing = RP_BODY_LENGTH,
	     .flags = KA),
	RESP("status 999 is three digits", "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
	     .status = 999, .framing = RP_BODY_LENGTH, .flags = KA),
	RESP("HTTP/1.0 close-delimited", "HTTP/1.0 200 OK\r\n\r\n", .version = "1.0",
	     .status = 200, .framing = RP_BODY_CLOSE, .flags = 0),
	RESP("HTTP/1.0 with length is not persistent", "HTTP/1.0 200 OK\r\n"
	     "Content-Length: 0\r\n\r\n", .version = "1.0", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = 0),
	RESP("HTTP/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	     "Content-Length: 0\r\n\r\n", .status = 200, .framing = RP_BODY_LENGTH,
	     .flags = RP_F_CONN_KEEP_ALIVE | KA),
	RESP("Connection: close", S200 "Connection: close\r\nContent-Length: 2\r\n\r\nok",
	     .tail = 2, .status = 200, .framing = RP_BODY_LENGTH, .cl = 2,
	     .flags = RP_F_CONN_CLOSE),
	RESP("HTTP/1.2 parses", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", .version = "1.2",
	     .status = 200, .framing = RP_BODY_LENGTH, .flags = KA),
	RESP("pipelined: only the first response is consumed", S200 "Content-Length: 0\r\n\r\n"
	     S200 "Content-Length: 0\r\n\r\n", .tail = sizeof(S200 "Content-Length: 0\r\n\r\n") - 1,
	     .status = 200, .framing = RP_BODY_LENGTH, .flags = KA),
	RESP("headers with OWS", S200 "Server:  x y \t\r\nContent-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = KA,
	     .h = {{"Server", "x y"}, {"Content-Length", "0"}}),

	/* ---- obs-fold (§5.2): a user agent reads each fold as SP; the value's span
	 * covers the fold, RP_F_OBS_FOLD says so (rp_unfold reads it) ---- */
	RESP("obs-fold with SP continues the value", S200 "X: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	     .status = 200, .framing = RP_BODY_LENGTH, .flags = KA | FOLD,
	     .h = {{"X", "a\r\n b"}, {"Content-Length", "0"}}),
	RESP("obs-fold with HTAB", S200 "X: a\r\n\tb\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD, .h = {{"X", "a\r\n\tb"}}),
	RESP("three lines, OWS kept inside, trimmed at the ends", S200
	     "X:  a \r\n  b\t\r\n \t c  \r\nY: 1\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD,
	     .h = {{"X", "a \r\n  b\t\r\n \t c"}, {"Y", "1"}}),
	RESP("empty first line: the value starts on the fold", S200 "X:\r\n b\r\n\r\n",
	     .status = 200, .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD, .h = {{"X", "b"}}),
	RESP("fold of OWS only at the end: not part of the value", S200 "X: a\r\n \t\r\n\r\n",
	     .status = 200, .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD, .h = {{"X", "a"}}),
	RESP("fold of OWS only in the middle", S200 "X: a\r\n \r\n b\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD, .h = {{"X", "a\r\n \r\n b"}}),
	RESP("nothing but folds of OWS: an empty value", S200 "X:\r\n \r\n\t\r\nY: 1\r\n\r\n",
	     .status = 200, .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD,
	     .h = {{"X", ""}, {"Y", "1"}}),
	RESP("a fold that reads like a header is part of the value", S200
	     "X: y\r\n Transfer-Encoding: chunked\r\n\r\n", .status = 200,
	     .framing = RP_BODY_CLOSE, NOKA, .flags = FOLD,
	     .h = {{"X", "y\r\n Transfer-Encoding: chunked"}}),
	RESP("fold after the last field", S200 "Content-Length: 0\r\nX: a\r\n b\r\n\r\n",
	     .status = 200, .framing = RP_BODY_LENGTH, .flags = KA | FOLD,
	     .h = {{"Content-Length", "0"}, {"X", "a\r\n b"}}),
	RESP("fold of a 4-byte name starting with h (read as a field: Host?)", S200
	     "Hxyz: a\r\n b\r\n\r\n", .status = 200, .framing = RP_BODY_CLOSE, NOKA,
	     .flags = FOLD, .h = {{"Hxyz", "a\r\n b"}}),
	RESP("fold of Content-Id (read as a field: length 10, like Connection)", S200
	     "Content-Id:\r\n <a>\r\n \r\nContent-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = KA | FOLD,
	     .h = {{"Content-Id", "<a>"}, {"Content-Length", "0"}}),
	RESP("folded Connection: read as 'keep-alive, close'", S200
	     "Connection: keep-alive,\r\n close\r\nContent-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = RP_F_CONN_KEEP_ALIVE | RP_F_CONN_CLOSE | FOLD,
	     .h = {{"Connection", "keep-alive,\r\n close"}, {"Content-Length", "0"}}),
	RESP("Connection folded before its value", S200
	     "Connection:\r\n close\r\nContent-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = RP_F_CONN_CLOSE | FOLD,
	     .h = {{"Connection", "close"}, {"Content-Length", "0"}}),
	RESP("Connection with an OWS-only fold after it", S200
	     "Connection: close\r\n \r\n\r\n", .status = 200, .framing = RP_BODY_CLOSE,
	     .flags = RP_F_CONN_CLOSE | FOLD, .h = {{"Connection", "close"}}),
	RESP("Connection over three lines", S200 "Connection: close,\r\n \r\n\tx\r\n\r\n",
	     .status = 200, .framing = RP_BODY_CLOSE, .flags = RP_F_CONN_CLOSE | FOLD,
	     .h = {{"Connection", "close,\r\n \r\n\tx"}}),
	RESP("a fold inside an option: 'clo  se' is no option", S200
	     "Connection: clo\r\n se\r\nContent-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = KA | FOLD),
	RESP("a fold after an option: 'keep-alive  x' is no option", "HTTP/1.0 200 OK\r\n"
	     "Connection: keep-alive\r\n x\r\nContent-Length: 0\r\n\r\n", .status = 200,
	     .framing = RP_BODY_LENGTH, .flags = FOLD),
	RESP("HTTP/1.0 keep-alive on a fold", "HTTP/1.0 200 OK\r\nConnection: x,\r\n\tKeep-Alive"
	     "\r\nContent-Length: 0\r\n\r\n", .status = 200, .framing = RP_BODY_LENGTH,
	     .flags = RP_F_CONN_KEEP_ALIVE | KA | FOLD),
	RESP("fold in a 204", "HTTP/1.1 204 No Content\r\nX: a\r\n b\r\n\r\n", .status = 204,
	     .framing = RP_BODY_NONE, .flags = KA | FOLD, .h = {{"X", "a\r\n b"}}),

	/* ---- incomplete ---- */
	RESP("empty", "", .ret = RP_INCOMPLETE),
	RESP("status line only", S200, .ret = RP_INCOMPLETE),
	RESP("a field: is a fold next?", S200 "X: a\r\n", .ret = RP_INCOMPLETE),
	RESP("Content-Length: is a fold next?", S200 "Content-Length: 5\r\n", .ret = RP_INCOMPLETE),
	RESP("in a fold", S200 "X: a\r\n b", .ret = RP_INCOMPLETE),
	RESP("in a fold of Connection", S200 "Connection: a\r\n b\r", .ret = RP_INCOMPLETE),

	/* ---- errors: status line (§4) ---- */
	RESP("no SP after the status", "HTTP/1.1 200\r\n\r\n", BAD(RP_E_SPACE, RP_E_STATUS)),
	RESP("HTAB after the status", "HTTP/1.1 200\tOK\r\n\r\n", BAD(RP_E_SPACE, RP_E_STATUS)),
	RESP("two-digit status", "HTTP/1.1 20 OK\r\n\r\n", BAD(RP_E_STATUS)),
	RESP("four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", BAD(RP_E_STATUS, RP_E_SPACE)),
	RESP("letter in the status", "HTTP/1.1 2x0 OK\r\n\r\n", BAD(RP_E_STATUS)),
	RESP("negative status", "HTTP/1.1 -20 OK\r\n\r\n", BAD(RP_E_STATUS)),
	RESP("empty status", "HTTP/1.1  OK\r\n\r\n", BAD(RP_E_STATUS, RP_E_SPACE)),
	RESP("two SP before the status", "HTTP/1.1  200 OK\r\n\r\n", BAD(RP_E_SPACE, RP_E_STATUS)),
	RESP("HTAB before the status", "HTTP/1.1\t200 OK\r\n\r\n", BAD(RP_E_SPACE, RP_E_VERSION)),
	RESP("no SP between version and status", "HTTP/1.1200 OK\r\n\r\n",
	     BAD(RP_E_VERSION, RP_E_SPACE)),
	RESP("lowercase http", "http/1.1 200 OK\r\n\r\n", BAD(RP_E_VERSION)),
	RESP("HTTP/1.10", "HTTP/1.10 200 OK\r\n\r\n", BAD(RP_E_VERSION, RP_E_SPACE)),
	RESP("HTTP/1", "HTTP/1 200 OK\r\n\r\n", BAD(RP_E_VERSION)),
	RESP("XTTP", "XTTP/1.1 200 OK\r\n\r\n", BAD(RP_E_VERSION)),
	RESP("leading SP", " HTTP/1.1 200 OK\r\n\r\n", BAD(RP_E_VERSION, RP_E_SPACE)),
	RESP("0x01 in the reason", "HTTP/1.1 200 O\x01K\r\n\r\n", BAD(RP_E_REASON)),
	RESP("DEL in the reason", "HTTP/1.1 200 OK\x7f\r\n\r\n", BAD(RP_E_REASON)),
	RESP("NUL in the reason", "HTTP/1.1 200 O\0K\r\n\r\n", BAD(RP_E_REASON)),
	RESP("ESC in the reason", "HTTP/1.1 200 \x1b[0m\r\n\r\n", BAD(RP_E_REASON)),
	RESP("bare CR in the reason", "HTTP/1.1 200 O\rK\r\n\r\n", BAD(RP_E_BARE_CR, RP_E_REASON)),
	RESP("bare LF after the status line", "HTTP/1.1 200 OK\n\r\n", BAD(RP_E_BARE_LF)),
	RESP("bare LF after a header", S200 "Content-Length: 0\n\r\n", BAD(RP_E_BARE_LF)),

	/* ---- errors: header fields and framing ---- */
	RESP("folded Content-Length (smuggling guard)", S200 "Content-Length: 5\r\n 0\r\n\r\n",
	     BAD(RP_E_OBS_FOLD)),
	RESP("Content-Length folded before its value (its empty first line is refused first)",
	     S200 "Content-Length:\r\n 5\r\n\r\n", BAD(RP_E_CONTENT_LENGTH, RP_E_OBS_FOLD)),
	RESP("Transfer-Encoding folded before its value", S200 "Transfer-Encoding:\r\n chunked"
	     "\r\n\r\n", BAD(RP_E_OBS_FOLD)),
	RESP("a framing field folded after another fold", S200 "X: a\r\n b\r\n"
	     "Content-Length: 0\r\n \r\n\r\n", BAD(RP_E_OBS_FOLD)),
	RESP("content-length folded with OWS only", S200 "content-length: 5\r\n\t\r\n\r\n",
	     BAD(RP_E_OBS_FOLD)),
	RESP("folded Transfer-Encoding", S200 "Transfer-Encoding: gzip,\r\n chunked\r\n\r\n",
	     BAD(RP_E_OBS_FOLD)),
	RESP("Transfer-Encoding folded after chunked", S200
	     "Transfer-Encoding: chunked\r\n \r\nContent-Length: 0\r\n\r\n", BAD(RP_E_OBS_FOLD)),
	RESP("control byte in a fold", S200 "X: a\r\n b\x01\r\n\r\n", BAD(RP_E_HEADER_VALUE)),
	RESP("bare LF ends a fold", S200 "X: a\r\n b\n\r\n", BAD(RP_E_BARE_LF)),
	RESP("bare CR in a fold", S200 "X: a\r\n b\rc\r\n\r\n", BAD(RP_E_BARE_CR, RP_E_HEADER_VALUE)),
	RESP("bare LF in a fold of Connection", S200 "Connection: a\r\n b\n\r\n", BAD(RP_E_BARE_LF)),
	RESP("SP before the first header", S200 " X: a\r\n\r\n", BAD(RP_E_LEADING_WS)),
	RESP("SP before colon", S200 "Content-Length : 0\r\n\r\n", BAD(RP_E_WS_BEFORE_COLON)),
	RESP("bad name", S200 "X@: a\r\n\r\n", BAD(RP_E_HEADER_NAME)),
	RESP("bad value", S200 "X: \x01\r\n\r\n", BAD(RP_E_HEADER_VALUE)),
	RESP("CL and TE (§6.3 rule 3)", S200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	     BAD(RP_E_CL_AND_TE)),
	RESP("differing CL", S200 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
	     BAD(RP_E_CONTENT_LENGTH)),
	RESP("CL list '5, 6'", S200 "Content-Length: 5, 6\r\n\r\n", BAD(RP_E_CONTENT_LENGTH)),
	RESP("CL 'abc'", S200 "Content-Length: abc\r\n\r\n", BAD(RP_E_CONTENT_LENGTH)),
	RESP("CL '-1'", S200 "Content-Length: -1\r\n\r\n", BAD(RP_E_CONTENT_LENGTH)),
	RESP("CL 2^63", S200 "Content-Length: 9223372036854775808\r\n\r\n",
	     BAD(RP_E_CONTENT_LENGTH)),
	RESP("'chunked, chunked' in a response", S200 "Transfer-Encoding: chunked, chunked\r\n\r\n",
	     BAD(RP_E_TRANSFER_ENCODING)),
	RESP("TE in an HTTP/1.0 response (§6.1)", "HTTP/1.0 200 OK\r\n"
	     "Transfer-Encoding: chunked\r\n\r\n", BAD(RP_E_TE_HTTP10)),
};
/* clang-format on */

const size_t rt_response_ncases = sizeof(rt_response_cases) / sizeof(rt_response_cases[0]);
