// Header access shared by both handshakes: field lines as the HTTP parser gives them, or Fetch Headers.

/** `[name, value]` field lines (repeats kept apart, as @netkit/http's RequestHead has them) or Headers. */
export type HeaderList = readonly (readonly [string, string])[] | Headers;

/** Every value of `name` (case-insensitive), one per field line. */
export function headerValues(headers: HeaderList, name: string): string[] {
  if (headers instanceof Headers) {
    const value = headers.get(name);
    return value === null ? [] : [value];
  }
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of headers) if (key.toLowerCase() === lower) values.push(value);
  return values;
}

/** The comma-separated elements of every value of `name`, trimmed, empty ones dropped (the #rule). */
export function headerList(headers: HeaderList, name: string): string[] {
  return headerValues(headers, name)
    .flatMap((value) => value.split(","))
    .map((element) => element.trim())
    .filter((element) => element !== "");
}

/** RFC 7230 token: what a subprotocol name must be (RFC 6455 §4.1). */
export const isToken = (text: string): boolean => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(text);
