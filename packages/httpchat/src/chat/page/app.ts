// The chat page's script (bundled for the browser): Enter sends, long polling shows new messages.

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

const list = document.getElementById("messages") as HTMLOListElement;
const nameField = document.getElementById("name") as HTMLInputElement;
const textField = document.getElementById("text") as HTMLInputElement;
const statusLine = document.getElementById("status") as HTMLElement;
const composer = document.getElementById("composer") as HTMLFormElement;

let lastId = 0;
const outbox: { name: string; text: string }[] = [];
let sending = false;

function setStatus(text: string, offline: boolean): void {
  statusLine.textContent = text;
  statusLine.classList.toggle("offline", offline);
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

/** Long-polls /messages forever; on errors retries with exponential backoff, then catches up. */
async function pollForever(): Promise<never> {
  let backoffMs = MIN_BACKOFF_MS;
  let caughtUp = false; // after (re)connecting, first fetch what is there at once, then long-poll
  for (;;) {
    try {
      const wait = caughtUp ? WAIT_SECONDS : 0;
      const response = await fetch(`/messages?since=${lastId}&wait=${wait}`, {
        cache: "no-store",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const messages = (await response.json()) as ChatMessage[];
      show(messages);
      setStatus("connected", false);
      caughtUp = messages.length < MAX_PER_REPLY;
      backoffMs = MIN_BACKOFF_MS;
    } catch {
      caughtUp = false;
      setStatus(`offline, retrying in ${(backoffMs / 1000).toFixed(1)} s`, true);
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
}

/** Sends queued messages in order; a failed send stays queued and is retried with backoff. */
async function flushOutbox(): Promise<void> {
  if (sending) return;
  sending = true;
  let backoffMs = MIN_BACKOFF_MS;
  while (outbox.length > 0) {
    const next = outbox[0] as { name: string; text: string };
    try {
      const response = await fetch("/chat", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(next),
      });
      if (response.status >= 500) throw new Error(`HTTP ${response.status}`);
      if (!response.ok) {
        const { error } = (await response.json().catch(() => ({}))) as { error?: string };
        setStatus(`not sent: ${error ?? response.status}`, true);
      }
      outbox.shift();
      backoffMs = MIN_BACKOFF_MS;
    } catch {
      setStatus(`sending failed, retrying in ${(backoffMs / 1000).toFixed(1)} s`, true);
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    }
  }
  sending = false;
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
  outbox.push({ name: nameField.value, text });
  void flushOutbox();
});

void pollForever();
