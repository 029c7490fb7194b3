// Domain names as the zone keeps them: absolute presentation text, compared case-insensitively (RFC 4343).

/**
 * Splits an absolute or relative presentation name into its labels, keeping escapes as written
 * (`a\.b.example.` → `["a\.b", "example"]`). The root (`.`) has no labels.
 */
export function splitLabels(name: string): string[] {
  if (name === "." || name === "") return [];
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === "\\") {
      i++; // the escaped character (or the first digit of \DDD) is never a separator
      continue;
    }
    if (c === ".") {
      labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  if (start < name.length) labels.push(name.slice(start));
  return labels;
}

/** Lower-cases ASCII letters only (RFC 4343: DNS comparisons are ASCII case-insensitive). */
export function lowerAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * The zone's lookup key of an absolute name: lower case, one trailing dot, escapes of plain
 * characters (`\065`, `\a`) undone so equal names have equal keys.
 */
export function nameKey(name: string): string {
  const labels = splitLabels(name).map(canonicalLabel);
  return labels.length === 0 ? "." : `${labels.join(".")}.`;
}

function canonicalLabel(label: string): string {
  if (!label.includes("\\")) return lowerAscii(label);
  let out = "";
  for (let i = 0; i < label.length; i++) {
    const c = label[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const digits = label.slice(i + 1, i + 4);
    let ch: string;
    if (/^\d{3}$/.test(digits)) {
      ch = String.fromCharCode(Number(digits));
      i += 3;
    } else {
      ch = label[i + 1] ?? "";
      i += 1;
    }
    const code = ch.charCodeAt(0);
    // Keep escaped what must stay escaped; print the rest plainly.
    if (ch === "." || ch === "\\" || code <= 0x20 || code >= 0x7f || ch === '"' || ch === ";") {
      out += `\\${code.toString().padStart(3, "0")}`;
    } else {
      out += ch;
    }
  }
  return lowerAscii(out);
}

/** The key of the parent of a key (`a.b.` → `b.`); the root has none. */
export function parentKey(key: string): string | null {
  if (key === ".") return null;
  const labels = splitLabels(key);
  labels.shift();
  return labels.length === 0 ? "." : `${labels.join(".")}.`;
}

/** Is key `name` equal to or below key `origin`? */
export function isSubdomain(name: string, origin: string): boolean {
  if (origin === ".") return true;
  return name === origin || name.endsWith(`.${origin}`);
}

/** Number of labels of a key. */
export function labelCount(key: string): number {
  return splitLabels(key).length;
}
