// The chat page's script (bundled for the browser): Enter sends; new messages come over a WebSocket
// (/ws), or by long polling /messages when a WebSocket cannot connect.

interface ChatMessage {
  id: number;
  name: string;
  text: string;
  time: string;
}

const WAIT_SECONDS = 25;
/** The server's page size: a full page means there may be more to catch up on at once. */
const MAX_PER_REPLY = 100;
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;
/** A WebSocket handshake that has not completed by then is given up (and long polling tried). */
const SOCKET_CONNECT_TIMEOUT_MS = 5000;
/** While long polling, try the WebSocket again after this long, doubling up to the max. */
const SOCKET_RETRY_MIN_MS = 2000;
/** A socket open this long counts as a good connection: the reconnect backoff starts over. */
const STABLE_SOCKET_MS = 5000;
const SOCKET_RETRY_MAX_MS = 60_000;

/** What #status shows (and its data-state, which tests read). */
type ConnectionState = "connecting" | "live" | "polling" | "offline";

const list = document.getElementById("messages") as HTMLOListElement;
const nameField = document.getElementById("name") as HTMLInputElement;
const textField = document.getElementById("text") as HTMLInputElement;
const statusLine = document.getElementById("status") as HTMLElement;
const composer = document.getElementById("composer") as HTMLFormElement;

let lastId = 0;
/**
 * A post waiting to be sent, with its idempotency key: resent after a connection dropped before
 * its answer came, it is stored once (the server answers the first id).
 */
interface OutgoingPost {
  name: string;
  text: string;
  key: string;
}
const outbox: OutgoingPost[] = [];

/** 128 random bits in hex (getRandomValues works on plain http too, unlike randomUUID). */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
/** The open WebSocket, when the page is live. */
let socket: WebSocket | undefined;
/** outbox[0] was sent over the socket and waits for its {"posted"} or {"error"} frame. */
let socketSending = false;
/** outbox[0] is being POSTed. */
let httpSending = false;
let state: ConnectionState = "connecting";
let note = "";

const LABELS: Record<ConnectionState, string> = {
  connecting: "connecting…",
  live: "live",
  polling: "polling (no WebSocket)",
  offline: "offline",
};

function setState(next: ConnectionState, detail = ""): void {
  if (next !== state) note = "";
  state = next;
  statusLine.dataset.state = next;
  statusLine.textContent = [LABELS[next] + detail, note].filter(Boolean).join(" · ");
  statusLine.classList.toggle("offline", next === "offline" || note !== "");
}

function setNote(text: string): void {
  note = text;
  setState(state);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Appends messages newer than the last one shown; text only, never HTML. */
function show(messages: ChatMessage[]): void {
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
  for (const message of messages) {
    if (message.id <= lastId) continue; // a repeat after a retry: already shown
    lastId = message.id;
    const item = document.createElement("li");
    item.dataset.id = String(message.id);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = message.name;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = message.text;
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = message.time;
    time.textContent = new Date(message.time).toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
    });
    item.append(name, text, time);
    list.append(item);
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** One frame from /ws: a message, the answer to our post, or an error. */
function onFrame(data: unknown): void {
  if (typeof data !== "string") return;
  let frame: Partial<ChatMessage> & { posted?: number; error?: string; code?: string };
  try {
    frame = JSON.parse(data);
  } catch {
    return;
  }
  if (typeof frame.id === "number" && typeof frame.text === "string") {
    show([frame as ChatMessage]);
    return;
  }
  if (!socketSending) return; // e.g. STORAGE_UNAVAILABLE before the server closes the socket
  socketSending = false;
  if (frame.code === "STORAGE_UNAVAILABLE") {
    setTimeout(flushOutbox, 1000); // not stored: stays queued, try again
    return;
  }
  outbox.shift();
  if (frame.error !== undefined) setNote(`not sent: ${frame.error}`);
  flushOutbox();
}

/**
 * Opens /ws?since=<last id> and stays live until it closes. Resolves with how long it was open,
 * or -1 if it never opened (then the page tries long polling, or backs off).
 */
function runSocket(): Promise<number> {
  return new Promise((resolve) => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${scheme}//${location.host}/ws?since=${lastId}`);
    } catch {
      resolve(-1);
      return;
    }
    let openedAt = -1;
    const timer = setTimeout(() => ws.close(), SOCKET_CONNECT_TIMEOUT_MS);
    ws.onopen = () => {
      openedAt = Date.now();
      clearTimeout(timer);
      socket = ws;
      setState("live");
      flushOutbox();
    };
    ws.onmessage = (event) => onFrame(event.data);
    ws.onclose = () => {
      clearTimeout(timer);
      if (socket === ws) socket = undefined;
      socketSending = false; // an unanswered post stays queued and is sent again
      resolve(openedAt < 0 ? -1 : Date.now() - openedAt);
    };
  });
}

/** One /messages request; false when the server cannot be reached. */
async function pollOnce(waitSeconds: number): Promise<ChatMessage[] | undefined> {
  try {
    const response = await fetch(`/messages?since=${lastId}&wait=${waitSeconds}`, {
      cache: "no-store",
    });
    if (!response.ok) return undefined;
    const messages = (await response.json()) as ChatMessage[];
    show(messages);
    return messages;
  } catch {
    return undefined;
  }
}

/** Long-polls for about `periodMs` (then the caller tries the WebSocket again); false on failure. */
async function pollFor(periodMs: number): Promise<boolean> {
  const until = Date.now() + periodMs;
  let caughtUp = false;
  while (Date.now() < until) {
    const wait = caughtUp ? Math.max(0, Math.min(WAIT_SECONDS, (until - Date.now()) / 1000)) : 0;
    const messages = await pollOnce(Math.floor(wait));
    if (!messages) return false;
    setState("polling");
    flushOutbox();
    caughtUp = messages.length < MAX_PER_REPLY;
  }
  return true;
}

/**
 * WebSocket first; when it does not open but HTTP answers, long polling, trying the WebSocket
 * again now and then; when neither answers, offline with exponential backoff. Every (re)connect
 * starts from the last id shown, and messages are keyed by id: nothing skipped, nothing twice.
 */
async function connectForever(): Promise<never> {
  let backoffMs = MIN_BACKOFF_MS;
  let socketRetryMs = SOCKET_RETRY_MIN_MS;
  for (;;) {
    setState(state === "live" || state === "offline" ? "connecting" : state);
    const openMs = await runSocket();
    if (openMs >= 0) {
      // A socket that lived a while reconnects at once; one closed soon after opening (the server
      // is stopping, or its store is down) backs off like a failed connect.
      if (openMs > STABLE_SOCKET_MS) backoffMs = MIN_BACKOFF_MS;
      socketRetryMs = SOCKET_RETRY_MIN_MS;
      setState("connecting");
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      continue;
    }
    if (await pollFor(socketRetryMs)) {
      // HTTP works and the WebSocket does not (a proxy without Upgrade, a server without /ws).
      backoffMs = MIN_BACKOFF_MS;
      socketRetryMs = Math.min(socketRetryMs * 2, SOCKET_RETRY_MAX_MS);
      continue;
    }
    setState("offline", `, retrying in ${(backoffMs / 1000).toFixed(1)} s`);
    await sleep(backoffMs);
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }
}

/**
 * Sends queued messages in order, one at a time: over the socket when live (answered by a
 * {"posted"} or {"error"} frame), else by POST /chat, where a failed send is retried with backoff.
 */
function flushOutbox(): void {
  if (socketSending || httpSending || outbox.length === 0) return;
  if (socket?.readyState === WebSocket.OPEN) {
    socketSending = true;
    socket.send(JSON.stringify(outbox[0]));
    return;
  }
  void postOutbox();
}

async function postOutbox(): Promise<void> {
  httpSending = true;
  let backoffMs = MIN_BACKOFF_MS;
  while (outbox.length > 0 && !socket) {
    const next = outbox[0] as OutgoingPost;
    try {
      const response = await fetch("/chat", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": next.key },
        body: JSON.stringify({ name: next.name, text: next.text }),
      });
      if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
      if (!response.ok) {
        const { error } = (await response.json().catch(() => ({}))) as { error?: string };
        setNote(`not sent: ${error ?? response.status}`);
      }
      outbox.shift();
      if (backoffMs > MIN_BACKOFF_MS) setNote(""); // the "sending failed" note is over
      backoffMs = MIN_BACKOFF_MS;
    } catch {
      setNote(`sending failed, retrying in ${(backoffMs / 1000).toFixed(1)} s`);
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
  httpSending = false;
  flushOutbox(); // the socket may have opened meanwhile
}

nameField.value = localStorage.getItem("chat-name") ?? "";
nameField.addEventListener("change", () => localStorage.setItem("chat-name", nameField.value));
composer.addEventListener("submit", (event) => event.preventDefault());
textField.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  event.preventDefault();
  const text = textField.value;
  if (text.trim() === "") return;
  textField.value = "";
  outbox.push({ name: nameField.value, text, key: newKey() });
  flushOutbox();
});

void connectForever();
