// Headers on every response of the web chat: the page runs only its own script and style
// (no inline code, so injected markup cannot run), cannot be framed (clickjacking), its
// responses are not sniffed into another type, and no Referer leaks message ids elsewhere.

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Adds SECURITY_HEADERS to a response (headers of a fresh Response are mutable). */
export function withSecurityHeaders(response: Response): Response {
  for (const name in SECURITY_HEADERS) {
    response.headers.set(name, SECURITY_HEADERS[name] as string);
  }
  return response;
}
