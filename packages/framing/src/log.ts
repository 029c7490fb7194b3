// Structured log events shared by every netkit service: libraries emit them, the CLI renders them.

/** How much an event matters; the CLI filters on it. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** One flat event, e.g. `{ level: "info", event: "conn.open", remote: "127.0.0.1:5555" }`. */
export interface LogEvent {
  /** @default "info" */
  level?: LogLevel;
  event: string;
  [field: string]: unknown;
}

/** Where a library sends its events; the default, `silentLog`, drops them. */
export type Log = (event: LogEvent) => void;

/** The default logger of every library: says nothing. */
export const silentLog: Log = () => {};

/** Every LogLevel, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
