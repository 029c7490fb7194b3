// redactUrl: a database or Redis URL made safe for logs.

/**
 * The URL with its password replaced by `***`, for logs and `location` fields
 * (`postgres://app:secret@db/board` → `postgres://app:***@db/board`). A string that is not a URL
 * gives `(invalid URL)`, so a typo holding a password is not logged either.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}
