// Refuses requests that a browser marks as cross-site, the way Go's http.CrossOriginProtection
// does: a page elsewhere cannot make a visitor's browser post here (CSRF). Clients that send
// neither Sec-Fetch-Site nor Origin (curl, scripts) are not browsers acting for a third party,
// so they stay allowed.

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Why a request was refused as cross-origin, or undefined when it may proceed. GET, HEAD and
 * OPTIONS pass unless `evenIfSafe` (a WebSocket handshake is a GET that opens a channel for
 * writes, and browsers do not apply CORS to it).
 */
export function crossOriginRefusal(request: Request, evenIfSafe = false): string | undefined {
  if (!evenIfSafe && SAFE_METHODS.has(request.method)) return undefined;
  const site = request.headers.get("sec-fetch-site");
  if (site !== null) {
    // "same-origin", or "none" (typed in the address bar, a bookmark): the user's own doing.
    if (site === "same-origin" || site === "none") return undefined;
    return `cross-origin request refused (Sec-Fetch-Site: ${site})`;
  }
  const origin = request.headers.get("origin");
  if (origin === null) return undefined;
  const host = request.headers.get("host");
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return "cross-origin request refused (Origin is not a URL)";
  }
  if (host !== null && originHost === host.toLowerCase()) return undefined;
  return `cross-origin request refused (Origin ${origin} is not this server)`;
}
