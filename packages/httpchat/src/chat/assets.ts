// The page's static files: index.html and styles.css as written, app.ts bundled for the browser by Bun.build.

export interface Asset {
  body: Uint8Array;
  contentType: string;
  /** Strong validator: a hash of the bytes, so it changes exactly when the content does. */
  etag: string;
}

const PAGE_DIR = new URL("./page/", import.meta.url);

function asset(body: Uint8Array, contentType: string): Asset {
  return { body, contentType, etag: `"${Bun.hash(body).toString(16)}"` };
}

/** Reads and bundles the page once; the result maps URL paths to assets. */
export async function loadPageAssets(): Promise<Map<string, Asset>> {
  // The entry is handed over as text: the bundler reads only the disk, and inside a compiled CLI
  // (`bun build --compile`) the page is an embedded file that only Bun.file can read.
  const entry = new URL("app.ts", PAGE_DIR).pathname;
  const build = await Bun.build({
    entrypoints: [entry],
    files: { [entry]: await Bun.file(entry).text() },
    target: "browser",
    minify: true,
  });
  const script = build.outputs[0];
  if (!build.success || !script) {
    throw new Error(`bundling the chat page failed: ${build.logs.map(String).join("; ")}`);
  }
  const html = await Bun.file(new URL("index.html", PAGE_DIR)).bytes();
  const css = await Bun.file(new URL("styles.css", PAGE_DIR)).bytes();
  const js = new Uint8Array(await script.arrayBuffer());
  const page = asset(html, "text/html; charset=utf-8");
  return new Map([
    ["/", page],
    ["/index.html", page],
    ["/app.js", asset(js, "text/javascript; charset=utf-8")],
    ["/styles.css", asset(css, "text/css; charset=utf-8")],
  ]);
}
