// Sec-WebSocket-Extensions (RFC 6455 §9.1): a comma-separated list of extensions, each a token with
// `; name[=value]` parameters, where a value is a token or a quoted string.

/** One element of Sec-WebSocket-Extensions: a name and its parameters. */
export interface ExtensionOffer {
  name: string;
  /** Parameters in order; `true` for a parameter without a value. Repeats are kept. */
  params: [string, string | true][];
}

/** RFC 7230 tchar: what a token may hold. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses every value of the header (pass each field line's value; repeated fields are one list).
 * Returns undefined if the syntax is broken: the caller then refuses the handshake or ignores
 * the header, as it prefers.
 */
export function parseExtensions(values: string[]): ExtensionOffer[] | undefined {
  const offers: ExtensionOffer[] = [];
  for (const value of values) {
    for (const element of splitOutsideQuotes(value, ",")) {
      if (element.trim() === "") continue; // `a, , b` is allowed by the #rule
      const [name, ...rawParams] = splitOutsideQuotes(element, ";").map((part) => part.trim());
      if (!name || !TOKEN.test(name)) return undefined;
      const params: [string, string | true][] = [];
      for (const raw of rawParams) {
        const eq = raw.indexOf("=");
        const key = (eq < 0 ? raw : raw.slice(0, eq)).trim();
        if (!TOKEN.test(key)) return undefined;
        if (eq < 0) {
          params.push([key, true]);
          continue;
        }
        let v = raw.slice(eq + 1).trim();
        if (v.startsWith('"')) {
          if (v.length < 2 || !v.endsWith('"')) return undefined;
          v = v.slice(1, -1).replace(/\\(.)/g, "$1");
        }
        // §9.1: a quoted value must still be a token once unquoted.
        if (!TOKEN.test(v)) return undefined;
        params.push([key, v]);
      }
      offers.push({ name, params });
    }
  }
  return offers;
}

/** One element of Sec-WebSocket-Extensions, as text. */
export function formatExtension(extension: ExtensionOffer): string {
  return [extension.name, ...extension.params.map(([k, v]) => (v === true ? k : `${k}=${v}`))].join(
    "; ",
  );
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
