/**
 * Policy through real runs: denied template and model fail the run with PermissionDenied, a denied tool is
 * reported to the model and counted; the policy file is re-read when it changes; a bad policy stops the
 * worker at start with one clear line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { filePolicySource, type Policy, type PolicyInput } from '../activities/middleware/policy';
import type { AgentClient, AgentError } from '../client';
import type { LlmStub } from '../llm-stub';
import { startWorkerProcess } from '../testing/worker-process';
import { agentTestbed } from './helpers/testbed';

const dir = mkdtempSync(join(tmpdir(), 'agents-auth-'));
const policyFile = join(dir, 'policy.json');
const policy = (bobTemplates: string[]): PolicyInput => ({
  roles: {
    basic: { templates: bobTemplates, models: ['scripted:*'], tools: ['word_count'] },
    admin: {},
  },
  users: { bob: ['basic'], root: ['admin'] },
});

// Checked on every read (interval 0), so a changed file is in force for the next call; reloads are counted.
writeFileSync(policyFile, JSON.stringify(policy(['chat', 'react'])));
const reloads: Policy[] = [];
const policySource = filePolicySource(policyFile, { checkIntervalMs: 0, onReload: (p) => reloads.push(p) });
const testbed = agentTestbed({ name: 'auth', llmStub: true, worker: { policy: policySource } });
let client: AgentClient;
let stub: LlmStub;
before(async () => {
  ({ client, stub } = await testbed.start());
});
after(() => testbed.stop());

const isDenied = (pattern: RegExp) => (err: AgentError) => err.type === 'PermissionDenied' && pattern.test(err.message);

describe('model calls', () => {
  test('a template the user may not use fails the run with PermissionDenied', async () => {
    const handle = await client.start({
      template: 'structured',
      input: { prompt: 'p', schema: { type: 'object' } },
      user: 'bob',
      model: 'scripted:auto',
    });
    await assert.rejects(handle.result(), isDenied(/user "bob" \(roles: basic\) may not use template "structured"/));
    const state = await handle.state();
    assert.equal(state.status, 'failed');
    assert.equal(state.error?.type, 'PermissionDenied');
    assert.equal(state.usage.modelCalls, 0);
  });

  test('a model the user may not use fails the run, and the provider never sees the call', async () => {
    const handle = await client.start({
      template: 'chat',
      input: { message: 'hi' },
      model: 'openai:stub-model',
      user: 'bob',
      runId: 'auth-denied-model',
    });
    await assert.rejects(handle.result(), isDenied(/may not use model "openai:stub-model"/));
    assert.equal(stub.requests().filter((r) => r.key.run === 'auth-denied-model').length, 0);
  });

  test('an unknown user gets defaultRoles (none here) and is denied, with the fix in the message', async () => {
    const handle = await client.start({
      template: 'chat',
      input: { message: 'hi' },
      user: 'eve',
      model: 'scripted:auto',
    });
    await assert.rejects(handle.result(), isDenied(/not in the policy and defaultRoles is empty/));
  });

  test('an allowed user runs normally', async () => {
    const result = await (
      await client.start({
        template: 'structured',
        input: { prompt: 'p', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
        user: 'root',
        model: 'scripted:auto',
      })
    ).result();
    assert.equal(result.status, 'completed');
  });
});

test('a denied tool call goes back to the model as an error, the run carries on, and the denial is counted', async () => {
  const before = await client.usage('bob');
  const result = await (
    await client.start({ template: 'react', input: { task: 'What is 6 * 7?' }, user: 'bob', model: 'scripted:auto' })
  ).result();
  assert.equal(result.status, 'completed');
  assert.match(result.answer, /permission denied: user "bob" \(roles: basic\) may not use tool "calculator"/);
  assert.equal(result.usage.toolCalls, 1);
  const usage = await client.usage('bob');
  assert.equal(usage.day.deniedCalls - before.day.deniedCalls, 1);
  assert.equal(usage.day.calls - before.day.calls, 2, 'both model calls were charged');
  assert.ok(usage.day.usd > 0, 'scripted calls have a small price');
});

test('a changed policy file takes effect without a restart', async () => {
  writeFileSync(policyFile, JSON.stringify(policy(['chat', 'react', 'structured'])));
  const result = await (
    await client.start({
      template: 'structured',
      input: { prompt: 'p', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
      user: 'bob',
      model: 'scripted:auto',
    })
  ).result();
  assert.equal(result.status, 'completed');
  assert.deepEqual(reloads.at(-1)?.roles.basic?.templates, ['chat', 'react', 'structured'], 'the reload was reported');
});

describe('bad policy at worker start', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'unknown role and a zero limit',
      {
        AGENT_POLICY_FILE: writePolicy('bad-schema.json', {
          roles: { a: { rateLimit: { requests: 0, windowSeconds: 1 } } },
          users: { x: ['nope'] },
        }),
      },
      /Invalid policy in .*bad-schema\.json: roles\.a\.rateLimit\.requests: .*; users\.x\.0: unknown role "nope"; define it under roles/,
    ],
    [
      'not JSON',
      { AGENT_POLICY_FILE: writePolicy('not-json.json', '{ roles: ') },
      /Invalid policy in .*not-json\.json: not JSON/,
    ],
    [
      'missing file',
      { AGENT_POLICY_FILE: join(dir, 'missing.json') },
      /Cannot read policy file .*missing\.json: ENOENT/,
    ],
    [
      'inline AGENT_POLICY with a typo',
      { AGENT_POLICY: JSON.stringify({ roles: { a: { model: ['*'] } } }) },
      /Invalid policy in AGENT_POLICY: roles\.a: Unrecognized key: "model"/,
    ],
  ];
  for (const [name, policyEnv, expected] of cases) {
    test(`${name}: the worker exits with one line saying what to fix`, async () => {
      const error = await startWorkerProcess({ ...policyEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' }).then(
        () => assert.fail('the worker started'),
        (err: Error) => err,
      );
      const [first, ...rest] = error.message.split('\n');
      assert.match(first, /worker exited with 1/);
      const lines = rest.filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `expected one line, got:\n${lines.join('\n')}`);
      assert.match(lines[0], /^worker failed: /);
      assert.match(lines[0], expected);
    });
  }
});

function writePolicy(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
