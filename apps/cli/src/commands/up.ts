// `up`: every service on its default port with embedded defaults, until Ctrl-C.

import { loadTlsCredentials, type TlsCredentials } from "@netkit/framing";
import {
  type Command,
  formatTable,
  keepTlsFresh,
  parseCount,
  parseFlags,
  parseLogLevel,
  stderrLog,
  trapStopSignals,
  UsageError,
} from "../cli-kit.ts";
import { selfSignedCertificate } from "../self-signed.ts";
import { instancePorts, type RunningService, services } from "../services.ts";

const usage = `Usage: bun run apps/cli up [--host HOST] [--data DIR] [--log-level LEVEL]
                          [--instances N] [--redis URL] [--postgres URL]
                          [--tls [--tls-cert FILE --tls-key FILE]]

Starts every netkit service on its default port and stops them all on Ctrl-C.

Options:
  --host HOST         address every service listens on (default 127.0.0.1)
  --data DIR          folder for embedded storage (default ./data)
  --log-level LEVEL   debug | info | warn | error (default info)
  --instances N       start N instances of each scalable service (${services
    .filter((s) => s.scalable)
    .map((s) => s.name)
    .join(", ")}) on consecutive ports (default 1)
  --redis URL         instances share messages, names and presence through this Redis
  --postgres URL      bbs and httpchat store in this PostgreSQL instead of SQLite
  --tls               also start every TLS listener, on the default TLS ports; without
                      --tls-cert/--tls-key a self-signed certificate for localhost and
                      127.0.0.1 is made once in DIR/tls (with openssl) and its SHA-256
                      fingerprint printed; the files are reloaded on SIGHUP or
                      when they change, without dropping anyone
  --tls-cert FILE     PEM certificate for --tls (with --tls-key)
  --tls-key FILE      PEM private key of --tls-cert`;

export const up: Command = {
  summary: "start every service on its default port",
  usage,
  async run(args) {
    const { values } = parseFlags(
      args,
      {
        host: { type: "string" },
        data: { type: "string" },
        "log-level": { type: "string" },
        instances: { type: "string" },
        redis: { type: "string" },
        postgres: { type: "string" },
        tls: { type: "boolean" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
      },
      usage,
    );
    if (values.help) {
      console.log(usage);
      return 0;
    }
    const host = values.host ?? "127.0.0.1";
    const level = parseLogLevel(values["log-level"], usage);
    const instances = parseCount("instances", values.instances, 1, usage);
    if (instances < 1 || instances > 16) throw new UsageError("--instances must be 1..16", usage);
    if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis)) {
      throw new UsageError("--redis must be a redis:// URL", usage);
    }
    if (values.postgres !== undefined && !/^postgres(ql)?:\/\//.test(values.postgres)) {
      throw new UsageError("--postgres must be a postgres:// URL", usage);
    }
    // Handlers first: a Ctrl-C at any moment from here on stops what has started, with exit 0.
    const stopSignal = trapStopSignals();
    if ((values["tls-cert"] === undefined) !== (values["tls-key"] === undefined)) {
      throw new UsageError("--tls-cert and --tls-key go together", usage);
    }
    if (values["tls-cert"] !== undefined && !values.tls) {
      throw new UsageError("--tls-cert needs --tls", usage);
    }
    let tls: TlsCredentials | undefined;
    let tlsFiles: { certFile: string; keyFile: string } | undefined;
    if (values.tls) {
      const dataDir = values.data ?? "data";
      if (values["tls-cert"] !== undefined && values["tls-key"] !== undefined) {
        tls = await loadTlsCredentials(values["tls-cert"], values["tls-key"]);
        tlsFiles = { certFile: values["tls-cert"], keyFile: values["tls-key"] };
      } else {
        const own = await selfSignedCertificate(dataDir);
        tls = own;
        tlsFiles = own;
        console.log(
          `TLS: ${own.created ? "created" : "using"} self-signed ${own.certFile} (localhost, 127.0.0.1)`,
        );
        console.log(`TLS: SHA-256 fingerprint ${own.fingerprint}`);
      }
    }
    const running: RunningService[] = [];
    const stopAll = async () => {
      for (const service of running.reverse()) await service.stop();
    };
    for (const entry of services) {
      const ports = instancePorts(entry, entry.scalable ? instances : 1);
      for (const [index, port] of ports.entries()) {
        const name = ports.length > 1 ? `${entry.name}#${index + 1}` : entry.name;
        const log = stderrLog(level, `${name} `);
        try {
          running.push(
            await entry.start({
              host,
              log,
              dataDir: values.data ?? "data",
              redisUrl: values.redis,
              postgresUrl: values.postgres,
              port,
              instance: index,
              tls,
            }),
          );
        } catch (error) {
          const { code, message } = error as Error & { code?: string };
          const hint =
            code === "EADDRINUSE" ? " (is something already listening on its port?)" : "";
          console.error(`up: ${name} did not start: ${message}${hint}`);
          await stopAll();
          return 1;
        }
      }
    }
    const rows = running
      .flatMap((s) => s.listening)
      .map((l) => [l.service, l.protocol, `${l.host}:${l.port}`]);
    // One renewal reaches every TLS listener; a bad new pair is logged and the old one kept.
    const stopWatching =
      tls && tlsFiles
        ? keepTlsFresh(
            { ...tls, ...tlsFiles, port: 0 },
            (credentials) => {
              for (const service of running) service.reloadTls?.(credentials);
            },
            stderrLog(level, "up "),
          )
        : undefined;
    console.log(formatTable(["SERVICE", "PROTO", "LISTENING"], rows));
    console.log("Press Ctrl-C to stop.");
    const signal = await stopSignal;
    console.error(`${signal}: stopping`);
    stopWatching?.();
    await stopAll();
    return 0;
  },
};
