// CLI for the LLM stub: `npx tsx llm-stub/main.ts [--port N] [--host H] [--log FILE] [--faults JSON]`; prints its URL.
import { parseArgs } from 'node:util';
import { InvalidFaultError, parseFaultsJson, type Fault } from './faults';
import { startLlmStub } from './server';

/** Port used when neither `--port` nor `LLM_STUB_PORT` is given; fixed so users can configure clients once. */
export const defaultCliPort = 8790;

const usage = `Usage: npx tsx llm-stub/main.ts [options]
  --port N       port to listen on, 0 for any free one (default: LLM_STUB_PORT or ${defaultCliPort})
  --host H       interface to listen on (default: 127.0.0.1)
  --log FILE     append each request as a JSON line (default: LLM_STUB_LOG, else memory only)
  --faults JSON  faults queued at startup, e.g. '[{"kind":"status","status":429,"times":2}]'
                 (default: LLM_STUB_FAULTS)
Admin API: POST/GET/DELETE <base>/_stub/faults, GET/DELETE <base>/_stub/requests, GET <base>/_stub/health`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      log: { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const portText = values.port ?? process.env.LLM_STUB_PORT ?? String(defaultCliPort);
  if (!/^\d+$/.test(portText) || Number(portText) > 65535)
    throw new InvalidArgument(`--port must be 0-65535, got "${portText}"`);
  const faultsJson = values.faults ?? process.env.LLM_STUB_FAULTS;
  const faults: Fault[] = faultsJson ? parseFaultsJson(faultsJson, values.faults ? '--faults' : 'LLM_STUB_FAULTS') : [];

  const stub = await startLlmStub({ port: Number(portText), host: values.host, logFile: values.log, faults });
  console.log(`llm-stub listening on ${stub.url}`);
  if (faults.length) console.log(`llm-stub: ${faults.length} fault(s) queued`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stub.close().then(() => process.exit(0)));
  }
}

class InvalidArgument extends Error {
  override readonly name = 'InvalidArgument';
}

main().catch((err: unknown) => {
  const known = err instanceof InvalidArgument || err instanceof InvalidFaultError;
  console.error(`llm-stub: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}`);
  if (known) console.error(usage);
  process.exit(known ? 2 : 1);
});
