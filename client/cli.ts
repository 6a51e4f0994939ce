/**
 * `agentctl`: start, control and inspect agent runs from a shell. Run `agentctl help` for the commands.
 *
 * `runCli` does all the work against injected streams and environment, so tests can call it in-process;
 * `bin/agentctl.js` (or running this file directly) calls {@link main}. Every failure ends as one line on
 * stderr, `error: <Type>: <message>`, with exit status 1 (the run or its input) or 2 (the command line).
 */
import type { Client } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { AgentError, ErrorType } from '../agents/errors';
import { runCommands } from './cli-commands';
import { parseCommandLine, wantsJson } from './cli-parse';
import { scheduleCommands, scheduleGroup } from './cli-schedule';
import { sessionCommands, sessionGroup } from './cli-session';
import { UsageError, type CommandContext, type CommandTable } from './cli-table';
import { connectClient, taskQueueFrom } from './connection';
import { grpcCode, toAgentError } from './errors';

/** Where `runCli` writes and what environment it reads (TEMPORAL_*, AGENT_TASK_QUEUE, AGENT_DEFAULT_MODEL). */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** Every `agentctl` command: add a command here (or to one of these tables) with its handler. */
export const commandTable: CommandTable = {
  commands: { ...runCommands, ...sessionCommands, ...scheduleCommands },
  groups: { session: sessionGroup, schedule: scheduleGroup },
};

/** Exit status of a bad command line, as most Unix tools use. */
const usageExitCode = 2;

/**
 * Runs one `agentctl` command line and returns its exit status; never throws.
 *
 * @example
 * const code = await runCli(['state', 'run-1', '--json'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 */
export async function runCli(argv: string[], io: CliIO, table: CommandTable = commandTable): Promise<number> {
  let json = wantsJson(argv);
  let id: string | undefined;
  let client: Promise<Client> | undefined;
  try {
    const parsed = parseCommandLine(table, argv);
    const { common } = parsed;
    json = common.json ?? false;
    const print = (human: string, machine: unknown) => io.stdout.write(`${json ? JSON.stringify(machine) : human}\n`);
    if (parsed.kind === 'help') {
      print(parsed.text, { usage: parsed.text });
      return 0;
    }
    id = (parsed.args.id ?? parsed.flags.id) as string | undefined;
    const env = {
      ...io.env,
      ...(common.address ? { TEMPORAL_ADDRESS: common.address } : {}),
      ...(common.namespace ? { TEMPORAL_NAMESPACE: common.namespace } : {}),
    };
    const ctx: CommandContext<any, any> = {
      path: parsed.path,
      args: parsed.args,
      flags: parsed.flags,
      json,
      taskQueue: taskQueueFrom(common['task-queue'], env),
      env,
      print,
      write: (text) => void io.stdout.write(text),
      client: () => (client ??= connect(env)),
    };
    await parsed.spec.run(ctx);
    return 0;
  } catch (err) {
    const failure = describeFailure(err, id);
    // One line whatever the message holds, so scripts can rely on `error: Type: ...`.
    const message = failure.message.replace(/\s*\n\s*/g, ' ');
    io.stderr.write(
      json ? `${JSON.stringify({ error: { type: failure.type, message } })}\n` : `error: ${failure.type}: ${message}\n`,
    );
    return failure.exitCode;
  } finally {
    // An open connection would keep the process alive after the command is done.
    if (client) await client.then((c) => c.connection.close()).catch(() => undefined);
  }
}

class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

async function connect(env: NodeJS.ProcessEnv): Promise<Client> {
  try {
    return await connectClient(env, { connectTimeout: '3s' });
  } catch (err) {
    const where = env.TEMPORAL_ADDRESS ? ` at ${env.TEMPORAL_ADDRESS}` : '';
    throw new ConnectionError(
      `cannot connect to Temporal${where}: ${(err as Error)?.message ?? String(err)}; check TEMPORAL_ADDRESS and TEMPORAL_* settings`,
    );
  }
}

interface Failure {
  type: string;
  message: string;
  exitCode: number;
}

function describeFailure(err: unknown, id: string | undefined): Failure {
  if (err instanceof UsageError) return { type: err.type, message: err.message, exitCode: usageExitCode };
  if (err instanceof ConnectionError) return { type: ErrorType.ConnectionFailed, message: err.message, exitCode: 1 };
  const converted = toAgentError(err, id);
  if (converted instanceof AgentError) return { type: converted.type, message: converted.message, exitCode: 1 };
  // UNAVAILABLE after connecting: the server went away mid-command.
  if (grpcCode(err) === grpcStatus.UNAVAILABLE) {
    return {
      type: ErrorType.ConnectionFailed,
      message: `lost the Temporal server: ${(err as Error).message}`,
      exitCode: 1,
    };
  }
  return {
    type: ErrorType.Unexpected,
    message: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    exitCode: 1,
  };
}

/** Entry point of the `agentctl` binary: real streams and environment, exit status on the process. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

if (require.main === module) void main();
