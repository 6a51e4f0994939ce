/** `agentctl` end to end: the real binary (`bin/agentctl.js`) against a dev server and an in-process worker. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { AgentClient } from '../client';
import { runCli } from '../client/cli';
import { portForAnotherProcess } from '../testing/dev-server';
import { eventually } from '../testing/environment';
import { projectRoot } from '../testing/paths';
import { agentTestbed } from './helpers/testbed';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let unreachable: Promise<CliRun>;
const testbed = agentTestbed({ name: 'cli' });
let env: TestWorkflowEnvironment;
let client: AgentClient;
let taskQueue: string;
before(async () => {
  // Nothing listens on this port; the connect attempt times out after ~10 s, so it runs while the server starts.
  unreachable = portForAnotherProcess().then((port) => inProcess(['ls'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` }));
  ({ env, client, taskQueue } = await testbed.start());
});
after(() => testbed.stop());

/** The model of runs started without --model: the scripted stand-in, configured as a user would. */
const defaultModel = { AGENT_DEFAULT_MODEL: 'scripted:auto' };

/** Runs `node bin/agentctl.js ...args` against the test server; `AGENT_TASK_QUEUE` is set unless `extraEnv` overrides it. */
function agentctl(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'agentctl.js'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue, ...defaultModel, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `runCli` in this process with captured output. */
async function inProcess(args: string[], cliEnv: NodeJS.ProcessEnv): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: cliEnv,
  });
  return { code, stdout, stderr };
}

/** Asserts a failed run printed exactly one `{"error":{type,message}}` line on stderr and nothing on stdout. */
function assertJsonError(run: CliRun, type: string, exitCode = 1): { type: string; message: string } {
  assert.equal(run.code, exitCode, `exit code; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${run.stderr}`);
  const { error } = JSON.parse(lines[0]);
  assert.equal(error.type, type, error.message);
  assert.ok(typeof error.message === 'string' && error.message.length > 0);
  return error;
}

function json(run: CliRun): any {
  assert.equal(run.code, 0, `exit code; stderr: ${run.stderr}`);
  assert.equal(run.stderr, '');
  return JSON.parse(run.stdout);
}

describe('start --wait --json prints the result of each template', () => {
  test('chat', async () => {
    const result = json(
      await agentctl([
        'start',
        'chat',
        '--input',
        '{"message":"hello from the cli"}',
        '--user',
        'cli-chat',
        '--wait',
        '--json',
      ]),
    );
    assert.equal(result.status, 'completed');
    assert.equal(result.finishReason, 'answer');
    assert.match(result.answer, /hello from the cli/);
    assert.match(result.runId, /^run-/);
    assert.equal(result.steps, 1);
  });

  test('react', async () => {
    const input = JSON.stringify({ task: 'What is (12 + 30) * 2?' });
    const result = json(
      await agentctl([
        'start',
        'react',
        '--input',
        input,
        '--user',
        'cli-react',
        '--model',
        'scripted:auto',
        '--wait',
        '--json',
      ]),
    );
    assert.equal(result.answer, 'The answer is 84.');
    assert.equal(result.steps, 2);
    assert.equal(result.usage.toolCalls, 1);
  });

  test('structured', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' } },
      required: ['name', 'age'],
    };
    const input = JSON.stringify({ prompt: 'a person', schema });
    const result = json(
      await agentctl(['--json', 'start', 'structured', '--input', input, '--user', 'cli-structured', '--wait']),
    );
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.output, { name: 'example', age: 42 });
  });

  test('a run that fails exits 1 with its error type', async () => {
    // The scripted model answers 42; the schema allows at most 10, so the run fails after its repair attempt.
    const input = JSON.stringify({
      prompt: 'n',
      schema: { type: 'object', properties: { n: { type: 'integer', maximum: 10 } }, required: ['n'] },
    });
    const run = await agentctl(['start', 'structured', '--input', input, '--user', 'cli-structured', '--wait']);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error: OutputInvalid: [^\n]+\n$/);
  });
});

describe('a run by id', () => {
  const runId = `cli-idempotent-${Date.now()}`;

  test('start with --id is idempotent: the second start returns the same run', async () => {
    const args = [
      'start',
      'react',
      '--input',
      '{"task":"count","maxSteps":3}',
      '--model',
      'scripted:auto?rounds=10',
      '--user',
      'cli-ids',
      '--id',
      runId,
    ];
    // --task-queue instead of AGENT_TASK_QUEUE.
    const first = await agentctl([...args, '--task-queue', taskQueue], { AGENT_TASK_QUEUE: undefined });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `${runId}\n`, 'human output of start is the run id alone');
    const second = json(await agentctl([...args, '--json', '--wait']));
    assert.equal(second.runId, runId);
    assert.equal(second.finishReason, 'max_steps');
    assert.equal(second.steps, 3);
    const executions = await eventually(async () => {
      const found = [];
      for await (const e of env.client.workflow.list({ query: `WorkflowId = '${runId}'` })) found.push(e);
      return found.length > 0 && found;
    }, 'the run to be listed');
    assert.equal(executions.length, 1, 'only one workflow execution for the id');
    const described = await env.client.workflow.getHandle(runId).describe();
    assert.equal(described.runId, executions[0].runId);
  });

  test('state --json and result print the run', async () => {
    const [state, result] = await Promise.all([agentctl(['state', runId, '--json']), agentctl(['result', runId])]);
    const s = json(state);
    assert.equal(s.runId, runId);
    assert.equal(s.status, 'completed');
    assert.equal(s.step, 3);
    assert.equal(s.maxSteps, 3);
    assert.equal(s.usage.modelCalls, 3);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(
        `^${runId} completed \\(max_steps\\) after 3 steps; 3 model calls, 3 tool calls, \\d+ in / \\d+ out tokens(, \\$\\d+\\.\\d{4})?\\n`,
      ),
    );
  });
});

describe('ls', () => {
  test('filters by user, status and template', async () => {
    const user = `cli-ls-${Date.now()}`;
    const slow = await client.start({
      template: 'react',
      input: { task: 'count', maxSteps: 50 },
      model: 'scripted:auto?rounds=40&delayMs=300',
      user,
    });
    const chat = await client.start({ template: 'chat', input: { message: 'hi' }, user, model: 'scripted:auto' });
    await chat.result();
    // Visibility is eventually consistent: wait until both runs show with their current status.
    await eventually(async () => {
      const runs = await client.list({ user });
      const status = Object.fromEntries(runs.map((r) => [r.runId, r.status]));
      return status[slow.runId] === 'running' && status[chat.runId] === 'completed';
    }, 'both runs to be visible');
    try {
      const [all, byStatus, byTemplate, table] = await Promise.all([
        agentctl(['ls', '--user', user, '--json']),
        agentctl(['ls', '--user', user, '--status', 'running', '--json']),
        agentctl(['ls', '--user', user, '--template', 'chat', '--limit', '5', '--json']),
        agentctl(['ls', '--user', user]),
      ]);
      assert.deepEqual(
        json(all)
          .map((r: { runId: string }) => r.runId)
          .sort(),
        [slow.runId, chat.runId].sort(),
      );
      const running = json(byStatus);
      assert.deepEqual(
        running.map((r: { runId: string }) => r.runId),
        [slow.runId],
      );
      assert.equal(running[0].template, 'react');
      assert.equal(running[0].user, user);
      assert.equal(running[0].model, 'scripted:auto?rounds=40&delayMs=300');
      assert.ok(!Number.isNaN(Date.parse(running[0].startTime)));
      assert.deepEqual(
        json(byTemplate).map((r: { runId: string }) => r.runId),
        [chat.runId],
      );

      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^RUN ID\s+TEMPLATE\s+USER\s+STATUS\s+MODEL\s+STARTED$/);
      assert.equal(lines.length, 3);
      const chatLine = lines.find((l) => l.startsWith(chat.runId));
      assert.match(
        chatLine ?? '',
        new RegExp(
          `^${chat.runId}\\s+chat\\s+${user}\\s+completed\\s+scripted:auto\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`,
        ),
      );
    } finally {
      await slow.cancel();
    }
  });
});

describe('bad input is rejected before anything starts', () => {
  const user = `cli-bad-${Date.now()}`;
  const cases: { name: string; args: string[]; type: string; mentions: RegExp }[] = [
    { name: 'unknown template', args: ['start', 'poem', '--input', '{}'], type: 'UnknownTemplate', mentions: /poem/ },
    { name: 'bad JSON', args: ['start', 'chat', '--input', '{"message":'], type: 'InvalidInput', mentions: /--input/ },
    {
      name: 'unknown tool',
      args: ['start', 'react', '--input', '{"task":"t","tools":["rm_rf"]}'],
      type: 'UnknownTool',
      mentions: /rm_rf/,
    },
    {
      name: 'bad model spec',
      args: ['start', 'chat', '--input', '{"message":"m"}', '--model', 'skynet:v1'],
      type: 'UnknownModel',
      mentions: /skynet/,
    },
  ];

  test('typed errors, exit 1, and no workflow', async () => {
    const ids = cases.map((_, i) => `${user}-${i}`);
    const runs = await Promise.all(
      cases.map((c, i) => agentctl([...c.args, '--user', user, '--id', ids[i], '--json'])),
    );
    runs.forEach((run, i) => {
      const error = assertJsonError(run, cases[i].type);
      assert.match(error.message, cases[i].mentions, cases[i].name);
    });
    for (const id of ids) {
      await assert.rejects(env.client.workflow.getHandle(id).describe(), WorkflowNotFoundError, `${id} must not exist`);
    }
    assert.deepEqual(await client.list({ user }), []);
  });

  test('human output: one line on stderr', async () => {
    const run = await agentctl(['start', 'chat', '--input', 'not json', '--user', user]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error: InvalidInput: --input is not valid JSON: [^\n]+\n$/);
  });

  test('no model and no AGENT_DEFAULT_MODEL: InvalidInput saying what to set; a malformed default is refused too', async () => {
    const id = `${user}-no-model`;
    const [none, malformed] = await Promise.all([
      agentctl(['start', 'chat', '--input', '{"message":"m"}', '--user', user, '--id', id, '--json'], {
        AGENT_DEFAULT_MODEL: undefined,
      }),
      agentctl(['start', 'chat', '--input', '{"message":"m"}', '--user', user, '--id', id, '--json'], {
        AGENT_DEFAULT_MODEL: 'gpt4',
      }),
    ]);
    assert.match(assertJsonError(none, 'InvalidInput').message, /--model.*AGENT_DEFAULT_MODEL/);
    assert.match(assertJsonError(malformed, 'InvalidInput').message, /^AGENT_DEFAULT_MODEL "gpt4" is not a model spec/);
    await assert.rejects(env.client.workflow.getHandle(id).describe(), WorkflowNotFoundError);
  });

  test('state of an unknown run id is NotFound', async () => {
    const error = assertJsonError(await agentctl(['state', 'no-such-run', '--json']), 'NotFound');
    assert.match(error.message, /no-such-run/);
  });

  test('a usage error exits 2', async () => {
    const run = await agentctl(['start', 'chat', '--input', '{}', '--user', user, '--frobnicate']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: Usage: Unknown option '--frobnicate'[^\n]*\n$/);
  });
});

describe('in-process runCli', () => {
  test('usage errors name the problem and exit 2', async () => {
    const cliEnv = { TEMPORAL_ADDRESS: env.address };
    const cases: [string[], RegExp][] = [
      [[], /no command given/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['ls', '--wait'], /--wait is not an option of "ls"/],
      [['start', 'chat', '--user', 'u'], /"start" needs --input/],
      [['pause'], /"pause" needs <id>/],
      [['pause', 'a', 'b'], /unexpected argument "b"/],
      [['ls', '--limit', '0'], /--limit must be a positive integer/],
    ];
    for (const [args, message] of cases) {
      const error = assertJsonError(await inProcess([...args, '--json'], cliEnv), 'Usage', 2);
      assert.match(error.message, message, args.join(' '));
    }
  });

  test('ls with an unknown status is InvalidInput', async () => {
    const run = await inProcess(['ls', '--status', 'sleeping'], {
      TEMPORAL_ADDRESS: env.address,
      AGENT_TASK_QUEUE: taskQueue,
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error: InvalidInput: [^\n]*status[^\n]*\n$/);
  });

  test('help needs no server; templates lists what the worker published', async () => {
    const help = await inProcess(['help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: agentctl <command>/);
    const cliEnv = { TEMPORAL_ADDRESS: env.address, AGENT_TASK_QUEUE: taskQueue };
    const templates = await eventually(async () => {
      const list = JSON.parse((await inProcess(['templates', '--json'], cliEnv)).stdout);
      return list.length > 0 && list;
    }, 'published templates');
    assert.deepEqual(templates.map((t: { name: string }) => t.name).sort(), ['chat', 'react', 'structured']);
    assert.ok(
      templates.every(
        (t: { description: string; source: string }) => t.description.length > 0 && t.source === 'builtin',
      ),
    );
    const table = await inProcess(['templates'], cliEnv);
    assert.match(
      table.stdout,
      /^TEMPLATE\s+SOURCE\s+MAX STEPS\s+TOOLS\s+DESCRIPTION\nchat\s+builtin\s+1\s+-\s+Answers a message/,
    );
  });

  test('--address and --task-queue anywhere override the environment', async () => {
    const handle = await client.start({
      template: 'chat',
      input: { message: 'hi' },
      user: 'cli-flags',
      model: 'scripted:auto',
    });
    await handle.result();
    const port = await portForAnotherProcess();
    const run = await inProcess(
      ['--address', env.address, '--json', 'state', '--task-queue', taskQueue, handle.runId],
      { TEMPORAL_ADDRESS: `127.0.0.1:${port}` },
    );
    assert.equal(json(run).status, 'completed');
  });

  test('an unreachable server is one ConnectionFailed line', async () => {
    const run = await unreachable;
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error: ConnectionFailed: cannot connect to Temporal at 127\.0\.0\.1:\d+: [^\n]+\n$/);
  });
});
