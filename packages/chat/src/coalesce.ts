// Output coalescing: hold each client's output a few ms so several messages leave in one write.
// On a busy server most CPU goes to writes (one syscall each), so fewer, larger writes per client
// buy CPU for a bounded delay. Order per client is kept: everything to a client goes through here.

/** Where released bytes go (framing's Connection). */
export interface ByteSink {
  sendBytes(bytes: Uint8Array): boolean;
}

/** One client's held output. */
export class Outbox {
  /** @internal */ held: Uint8Array[] = [];

  constructor(
    readonly sink: ByteSink,
    readonly coalescer: Coalescer,
  ) {}

  /** Queues bytes for this client (sent at once when coalescing is off). */
  send(bytes: Uint8Array): void {
    this.coalescer.hold(this, bytes);
  }

  /** Bytes waiting in this outbox. */
  get heldCount(): number {
    return this.held.length;
  }
}

export class Coalescer {
  #holding: Outbox[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `delayMs` 0: no holding, every send goes straight to its sink. */
  constructor(readonly delayMs: number) {
    if (!Number.isInteger(delayMs) || delayMs < 0) {
      throw new RangeError(`coalesceMs must be a non-negative integer, got ${delayMs}`);
    }
  }

  outbox(sink: ByteSink): Outbox {
    return new Outbox(sink, this);
  }

  /** @internal */
  hold(box: Outbox, bytes: Uint8Array): void {
    if (this.delayMs === 0) {
      box.sink.sendBytes(bytes);
      return;
    }
    if (box.held.length === 0) this.#holding.push(box);
    box.held.push(bytes);
    // The window opens with the first held message: nothing waits longer than delayMs.
    this.#timer ??= setTimeout(() => this.releaseAll(), this.delayMs);
  }

  /** Hands everything held to the sinks now, in order. */
  releaseAll(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const boxes = this.#holding;
    this.#holding = [];
    for (const box of boxes) {
      const held = box.held;
      box.held = [];
      for (const bytes of held) if (!box.sink.sendBytes(bytes)) break; // closed or overflowed
    }
  }
}
