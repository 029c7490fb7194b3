// Zone files on disk: load at start-up (strict), reload later keeping the last good version of each.
import { type StatWatcher, unwatchFile, watchFile } from "node:fs";
import { type Log, silentLog } from "@netkit/framing";
import { ZoneSet } from "../server/answer.ts";
import { loadZoneFile } from "./load-file.ts";
import type { Zone } from "./zone.ts";

/** One zone file: `path`, or `origin=path` on the command line. */
export interface ZoneFileSpec {
  path: string;
  /** The zone's origin; by default its SOA owner. */
  origin?: string;
}

/** `example.com=zones/example.com.zone` or `zones/example.com.zone`. */
export function parseZoneFileSpec(text: string): ZoneFileSpec {
  const i = text.indexOf("=");
  return i > 0 ? { origin: text.slice(0, i), path: text.slice(i + 1) } : { path: text };
}

/** Zone files (from `parseZoneFileSpec`), loaded together and reloaded when asked or when a file changes. */
export class ZoneFiles {
  readonly specs: readonly ZoneFileSpec[];
  readonly #log: Log;
  readonly #current = new Map<string, Zone>();
  #watching: StatWatcher[] = [];

  constructor(specs: readonly ZoneFileSpec[], log: Log = silentLog) {
    if (specs.length === 0) throw new RangeError("ZoneFiles needs at least one file");
    this.specs = specs;
    this.#log = log;
  }

  /** Loads every file; throws the first ZoneSyntaxError (file:line:column) or a duplicate origin. */
  load(): ZoneSet {
    const origins = new Map<string, string>();
    for (const spec of this.specs) {
      const zone = loadZoneFile(spec.path, { origin: spec.origin });
      const other = origins.get(zone.origin);
      if (other)
        throw new RangeError(`${spec.path}: zone ${zone.origin} is already served from ${other}`);
      origins.set(zone.origin, spec.path);
      this.#current.set(spec.path, zone);
    }
    return this.zones();
  }

  /** The zones as last loaded. */
  zones(): ZoneSet {
    return new ZoneSet(this.#current.values());
  }

  /**
   * Reloads every file. A file that no longer parses keeps its last good zone, and the error is
   * logged with its position. Returns the zones to serve.
   */
  reload(): ZoneSet {
    for (const spec of this.specs) {
      try {
        const zone = loadZoneFile(spec.path, { origin: spec.origin });
        const before = this.#current.get(spec.path);
        this.#current.set(spec.path, zone);
        this.#log({
          event: "zone.loaded",
          file: spec.path,
          zone: zone.origin,
          serial: zone.serial,
          previousSerial: before?.serial,
        });
      } catch (error) {
        this.#log({
          level: "error",
          event: "zone.reload_failed",
          file: spec.path,
          error: (error as Error).message,
          keeping: this.#current.get(spec.path)?.serial,
        });
      }
    }
    return this.zones();
  }

  /** Calls `onChange` (after a short quiet period) whenever a zone file changes on disk. */
  watch(onChange: () => void, intervalMs = 500): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    };
    for (const spec of this.specs) {
      this.#watching.push(
        watchFile(spec.path, { interval: intervalMs, persistent: false }, (now, before) => {
          if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino)
            changed();
        }),
      );
    }
  }

  unwatch(): void {
    for (const spec of this.specs) unwatchFile(spec.path);
    this.#watching = [];
  }
}
