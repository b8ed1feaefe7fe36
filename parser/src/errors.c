/* Names, messages and HTTP statuses of parse errors: one table. */
#include "ringparse.h"

static const struct {
	const char *name;
	const char *message;
	int status;
} rp_errors[RP_E__COUNT] = {
	[RP_OK] = {"ok", "no error", 200},
	[RP_E_METHOD] = {"method", "the method is not a token followed by one space", 400},
	[RP_E_TARGET] = {"target", "the request-target holds a character RFC 3986 does not allow",
			 400},
	[RP_E_TARGET_TOO_LONG] = {"target_too_long", "the request-target is longer than the limit",
				  414},
	[RP_E_PERCENT] = {"percent", "'%' in the request-target is not followed by two hex digits",
			  400},
	[RP_E_VERSION] = {"version", "the HTTP version is not HTTP/DIGIT.DIGIT followed by CRLF",
			  400},
	[RP_E_SPACE] = {"space",
			"the parts of the start-line are not separated by exactly one space", 400},
	[RP_E_STATUS] = {"status", "the status code is not three digits", 400},
	[RP_E_REASON] = {"reason", "the reason-phrase holds a control character", 400},
	[RP_E_BARE_CR] = {"bare_cr", "a CR is not followed by LF", 400},
	[RP_E_BARE_LF] = {"bare_lf", "a LF is not preceded by CR", 400},
	[RP_E_EMPTY_LINES] = {"empty_lines", "more than one empty line precedes the request", 400},
	[RP_E_LEADING_WS] = {"leading_ws", "whitespace precedes the first header line", 400},
	[RP_E_OBS_FOLD] = {"obs_fold",
			   "a header line is folded onto the next (obs-fold) where that is refused",
			   400},
	[RP_E_HEADER_NAME] = {"header_name", "a header name is empty, not a token, or has no colon",
			      400},
	[RP_E_WS_BEFORE_COLON] = {"ws_before_colon",
				  "whitespace between a header name and its colon", 400},
	[RP_E_HEADER_VALUE] = {"header_value", "a header value holds a control character", 400},
	[RP_E_TOO_MANY_HEADERS] = {"too_many_headers", "more header lines than the limit", 431},
	[RP_E_HEADERS_TOO_LARGE] = {"headers_too_large",
				    "the header block is larger than the limit", 431},
	[RP_E_HOST] = {"host", "Host is missing in HTTP/1.1, repeated, or invalid", 400},
	[RP_E_CONTENT_LENGTH] = {"content_length",
				 "Content-Length is malformed, differs, or is too large", 400},
	[RP_E_CL_AND_TE] = {"cl_and_te", "Content-Length and Transfer-Encoding together", 400},
	[RP_E_TRANSFER_ENCODING] =
		{"transfer_encoding",
		 "chunked is not the final coding exactly once, or a coding is unknown", 400},
	[RP_E_TE_HTTP10] = {"te_http10", "Transfer-Encoding in an HTTP/1.0 message", 400},
	[RP_E_CHUNK_SIZE] = {"chunk_size", "a chunk size is missing, not hex, or too large", 400},
	[RP_E_CHUNK_EXT] = {"chunk_ext", "a chunk extension is malformed or too long", 400},
	[RP_E_CHUNK_DATA] = {"chunk_data", "chunk data is not followed by CRLF", 400},
	[RP_E_TRAILER] = {"trailer", "the trailer section is malformed", 400},
	[RP_E_CONNECT_BODY] = {"connect_body",
			       "a CONNECT request declares Content-Length or Transfer-Encoding "
			       "(CONNECT has no content)",
			       400},
};

static int known(rp_error e)
{
	return (unsigned)e < RP_E__COUNT;
}

const char *rp_error_name(rp_error e)
{
	return known(e) ? rp_errors[e].name : "unknown";
}

const char *rp_error_message(rp_error e)
{
	return known(e) ? rp_errors[e].message : "unknown error";
}

int rp_error_status(rp_error e)
{
	return known(e) ? rp_errors[e].status : 400;
}

const char *rp_method_name(rp_method m)
{
	static const char *const names[] = {
		[RP_M_OTHER] = "OTHER",     [RP_M_GET] = "GET",         [RP_M_HEAD] = "HEAD",
		[RP_M_POST] = "POST",       [RP_M_PUT] = "PUT",         [RP_M_DELETE] = "DELETE",
		[RP_M_CONNECT] = "CONNECT", [RP_M_OPTIONS] = "OPTIONS", [RP_M_TRACE] = "TRACE",
		[RP_M_PATCH] = "PATCH",
	};
	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m] : "OTHER";
}
