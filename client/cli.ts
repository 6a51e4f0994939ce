/**
 * `agentctl`: start, control and inspect agent runs from a shell. Run `agentctl help` for the commands.
 *
 * `runCli` does all the work against injected streams and environment, so tests can call it in-process;
 * `bin/agentctl.js` (or running this file directly) calls {@link main}. Every failure ends as one line on
 * stderr, `error: <Type>: <message>`, with exit status 1 (the run or its input) or 2 (the command line).
 */
import type { Client } from '@temporalio/client';
import { AgentError, ErrorType } from '../agents/errors';
import type { RunStatus } from '../agents/run';
import { AgentClient } from './agent-client';
import { parseCommandLine, usage, UsageError, wantsJson, type ParsedCommand } from './cli-args';
import { templatesCommand, toolsCommand } from './cli-catalog';
import { formatResult, formatRuns, formatState } from './cli-format';
import { runSessionCommand } from './cli-session';
import { formatUsage } from './cli-usage';
import { connectClient, taskQueueFrom } from './connection';
import { followEvents, followTokens } from './follow';
import { toAgentError } from './errors';

/** Where `runCli` writes and what environment it reads (TEMPORAL_*, AGENT_TASK_QUEUE). */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Error types of failures that are not about a run; run failures use {@link ErrorType}. */
export const CliErrorType = {
  /** The Temporal server could not be reached or the connection settings are wrong. */
  ConnectionFailed: 'ConnectionFailed',
  /** Anything else; a bug if seen. */
  Unexpected: 'Unexpected',
} as const;

/** Exit status of a bad command line, as most Unix tools use. */
const usageExitCode = 2;

/**
 * Runs one `agentctl` command line and returns its exit status; never throws.
 *
 * @example
 * const code = await runCli(['state', 'run-1', '--json'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  let json = wantsJson(argv);
  let runId: string | undefined;
  try {
    if (argv[0] === 'session') return await runSessionCommand(argv.slice(1), io, () => connect(io.env)).then(() => 0);
    const cmd = parseCommandLine(argv);
    json = cmd.json;
    runId = cmd.args.id ?? cmd.id;
    await execute(cmd, io);
    return 0;
  } catch (err) {
    const failure = describeFailure(err, runId);
    // One line whatever the message holds, so scripts can rely on `error: Type: ...`.
    const message = failure.message.replace(/\s*\n\s*/g, ' ');
    io.stderr.write(json ? `${JSON.stringify({ error: { type: failure.type, message } })}\n` : `error: ${failure.type}: ${message}\n`);
    return failure.exitCode;
  }
}

async function execute(cmd: ParsedCommand, io: CliIO): Promise<void> {
  const print = (human: string, machine: unknown) => io.stdout.write(`${cmd.json ? JSON.stringify(machine) : human}\n`);

  // This one needs no server.
  if (cmd.command === 'help') return void print(usage, { usage });

  const client = await connect(io.env);
  try {
    const agents = new AgentClient(client, { taskQueue: taskQueueFrom(cmd.taskQueue, io.env) });
    switch (cmd.command) {
      case 'templates':
      case 'tools': {
        const out = await (cmd.command === 'templates' ? templatesCommand : toolsCommand)(client, agents.taskQueue);
        return void print(out.human, out.machine);
      }
      case 'start': {
        const input = parseJsonFlag(cmd.input!, '--input');
        const handle = await agents.start({ template: cmd.args.template, input, model: cmd.model, user: cmd.user!, runId: cmd.id });
        if (!cmd.wait) return void print(handle.runId, { runId: handle.runId });
        const result = await handle.result();
        return void print(formatResult(result), result);
      }
      case 'pause':
      case 'resume':
      case 'stop':
      case 'cancel': {
        const handle = agents.getHandle(cmd.args.id);
        await handle[cmd.command]();
        return void print(`${requestedVerb[cmd.command]} ${handle.runId}`, { runId: handle.runId, requested: cmd.command });
      }
      case 'state': {
        const state = await agents.getHandle(cmd.args.id).state();
        return void print(formatState(state), state);
      }
      case 'result': {
        const result = await agents.getHandle(cmd.args.id).result();
        return void print(formatResult(result), result);
      }
      case 'ls': {
        // An unknown status is rejected by `list` with InvalidInput naming the allowed values.
        const runs = await agents.list({ user: cmd.user, status: cmd.status as RunStatus | undefined, template: cmd.template, limit: cmd.limit });
        return void print(formatRuns(runs), runs);
      }
      case 'events': {
        // One line per event either way: JSON lines with --json, so a follower can resume from the last seq.
        const handle = agents.getHandle(cmd.args.id).workflow;
        const stream = cmd.follow ? followEvents(handle, cmd.after ?? 0) : onePage(handle, cmd.after ?? 0);
        for await (const event of stream) io.stdout.write(`${cmd.json ? JSON.stringify(event) : `${event.seq}\t${event.at}\t${event.type}\t${JSON.stringify(event.data)}`}\n`);
        return;
      }
      case 'usage': {
        const result = await agents.usage(cmd.user!);
        return void print(formatUsage(result), result);
      }
      case 'tokens': {
        for await (const chunk of followTokens(agents.getHandle(cmd.args.id).workflow)) {
          if (cmd.json) io.stdout.write(`${JSON.stringify(chunk)}\n`);
          else io.stdout.write(chunk.done ? '\n' : chunk.text);
        }
        return;
      }
    }
  } finally {
    // An open connection would keep the process alive after the command is done.
    await client.connection.close().catch(() => undefined);
  }
}

async function* onePage(handle: Parameters<typeof followEvents>[0], after: number) {
  const controller = new AbortController();
  controller.abort();
  // An aborted follow yields what is there now and returns.
  yield* followEvents(handle, after, { signal: controller.signal, untilAborted: true });
}

/** Signals and cancel only ask: the run acts at its next step boundary (or aborts the call in flight). */
const requestedVerb = {
  pause: 'pause requested for',
  resume: 'resume requested for',
  stop: 'stop requested for',
  cancel: 'cancellation requested for',
} as const;

class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

async function connect(env: NodeJS.ProcessEnv): Promise<Client> {
  try {
    return await connectClient(env, { connectTimeout: '3s' });
  } catch (err) {
    const where = env.TEMPORAL_ADDRESS ? ` at ${env.TEMPORAL_ADDRESS}` : '';
    throw new ConnectionError(`cannot connect to Temporal${where}: ${(err as Error)?.message ?? String(err)}; check TEMPORAL_ADDRESS and TEMPORAL_* settings`);
  }
}

function parseJsonFlag(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AgentError(ErrorType.InvalidInput, `${flag} is not valid JSON: ${(err as Error).message}`);
  }
}

interface Failure {
  type: string;
  message: string;
  exitCode: number;
}

function describeFailure(err: unknown, runId: string | undefined): Failure {
  if (err instanceof UsageError) return { type: err.type, message: err.message, exitCode: usageExitCode };
  if (err instanceof ConnectionError) return { type: CliErrorType.ConnectionFailed, message: err.message, exitCode: 1 };
  const converted = toAgentError(err, runId);
  if (converted instanceof AgentError) return { type: converted.type, message: converted.message, exitCode: 1 };
  // gRPC UNAVAILABLE after connecting: the server went away mid-command.
  if ((err as { code?: number })?.code === 14) {
    return { type: CliErrorType.ConnectionFailed, message: `lost the Temporal server: ${(err as Error).message}`, exitCode: 1 };
  }
  return { type: CliErrorType.Unexpected, message: err instanceof Error ? `${err.name}: ${err.message}` : String(err), exitCode: 1 };
}

/** Entry point of the `agentctl` binary: real streams and environment, exit status on the process. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

if (require.main === module) void main();
