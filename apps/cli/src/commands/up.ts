// `up`: every service on its default port with embedded defaults, until Ctrl-C.
import {
  type Command,
  formatTable,
  parseFlags,
  parseLogLevel,
  stderrLog,
  waitForStopSignal,
} from "../cli-kit.ts";
import { type RunningService, services } from "../services.ts";

const usage = `Usage: bun run apps/cli up [--host HOST] [--data DIR] [--log-level LEVEL]

Starts every netkit service on its default port and stops them all on Ctrl-C.

Options:
  --host HOST         address every service listens on (default 127.0.0.1)
  --data DIR          folder for embedded storage (default ./data)
  --log-level LEVEL   debug | info | warn | error (default info)`;

export const up: Command = {
  summary: "start every service on its default port",
  usage,
  async run(args) {
    const { values } = parseFlags(
      args,
      { host: { type: "string" }, data: { type: "string" }, "log-level": { type: "string" } },
      usage,
    );
    if (values.help) {
      console.log(usage);
      return 0;
    }
    const host = values.host ?? "127.0.0.1";
    const level = parseLogLevel(values["log-level"], usage);
    const running: RunningService[] = [];
    const stopAll = async () => {
      for (const service of running.reverse()) await service.stop();
    };
    for (const entry of services) {
      const log = stderrLog(level, `${entry.name} `);
      try {
        running.push(await entry.start({ host, log, dataDir: values.data ?? "data" }));
      } catch (error) {
        const { code, message } = error as Error & { code?: string };
        const hint = code === "EADDRINUSE" ? " (is something already listening on its port?)" : "";
        console.error(`up: ${entry.name} did not start: ${message}${hint}`);
        await stopAll();
        return 1;
      }
    }
    const rows = running
      .flatMap((s) => s.listening)
      .map((l) => [l.service, l.protocol, `${l.host}:${l.port}`]);
    console.log(formatTable(["SERVICE", "PROTO", "LISTENING"], rows));
    console.log("Press Ctrl-C to stop.");
    const signal = await waitForStopSignal();
    console.error(`${signal}: stopping`);
    await stopAll();
    return 0;
  },
};
