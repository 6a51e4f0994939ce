/**
 * Records workflow histories for the replay test: `npx tsx tests/histories/record.ts`.
 *
 * Run it when a workflow change is meant to be compatible, commit the JSON beside this file, and
 * keep old files: they are the runs "in flight" that every later version must still replay.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { temporalCli } from '../helpers/paths';
import { agentClient, eventually, inProcessWorker, startDevEnvironment, uniqueTaskQueue } from '../helpers/environment';
import type { AgentRunHandle } from '../../client';

const version = process.argv[2] ?? 'v1';
const personSchema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };

async function main() {
  const env = await startDevEnvironment();
  const taskQueue = uniqueTaskQueue('record');
  const worker = await inProcessWorker(env, taskQueue);
  const client = agentClient(env, taskQueue);
  const save = async (name: string, handle: AgentRunHandle) => {
    await handle.result().catch(() => undefined);
    // The CLI writes the proto JSON format that historyFromJSON reads (as the Temporal UI's download does).
    const json = execFileSync(temporalCli, ['workflow', 'show', '--address', env.address, '--workflow-id', handle.runId, '--output', 'json'], { encoding: 'utf8' });
    writeFileSync(join(__dirname, `${version}-${name}.json`), json);
    console.log(`recorded ${version}-${name}.json (${JSON.parse(json).events.length} events)`);
  };
  await worker.runUntil(async () => {
    await save('chat', await client.start({ template: 'chat', input: { message: 'hi' }, user: 'rec' }));
    await save('react', await client.start({ template: 'react', input: { task: 'What is 6 * 7?' }, user: 'rec' }));
    await save('structured-repair', await client.start({ template: 'structured', input: { prompt: 'p', schema: personSchema }, user: 'rec', model: 'scripted:auto?invalidFirst=1' }));
    await save('output-invalid', await client.start({ template: 'structured', input: { prompt: 'p', schema: { type: 'integer', maximum: 1 } }, user: 'rec' }));

    const paused = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec', model: 'scripted:auto?rounds=4&delayMs=200' });
    await paused.pause();
    await eventually(async () => (await paused.state()).status === 'paused', 'paused');
    await paused.resume();
    await save('pause-resume', paused);

    const stopped = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec', model: 'scripted:auto?rounds=8&delayMs=300' });
    await eventually(async () => (await stopped.state()).step >= 1, 'one step');
    await stopped.stop();
    await save('stopped', stopped);

    const cancelled = await client.start({ template: 'react', input: { task: 'count', maxSteps: 10 }, user: 'rec', model: 'scripted:auto?rounds=8&delayMs=300' });
    await eventually(async () => (await cancelled.state()).step >= 1, 'one step');
    await cancelled.cancel();
    await save('cancelled', cancelled);

    // The last run of a continue-as-new chain starts from carried state.
    await save('continued', await client.start({ template: 'react', input: { task: 'count', maxSteps: 40 }, user: 'rec', model: 'scripted:auto?rounds=30', options: { historyEventLimit: 150 } }));
  });
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
