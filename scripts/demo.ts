/**
 * The demo: runs every template, pauses and resumes a run, and prints results with Web UI links.
 * Uses a real model when DEMO_MODEL or a provider key is set, else the scripted model (not a real LLM).
 */
import { AgentClient, connectClient, type AgentRunHandle } from '../client';
import { templates } from '../agents/templates';

const uiUrl = process.env.UI_URL ?? 'http://localhost:8233';
const model =
  process.env.DEMO_MODEL ??
  (process.env.OPENAI_API_KEY
    ? 'openai:gpt-4o-mini'
    : process.env.ANTHROPIC_API_KEY
      ? 'anthropic:claude-3-5-haiku-latest'
      : 'scripted:auto');
const scripted = model.startsWith('scripted:');

const link = (runId: string) => `${uiUrl}/namespaces/${process.env.TEMPORAL_NAMESPACE ?? 'default'}/workflows/${runId}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function show(title: string, handle: AgentRunHandle): Promise<void> {
  const result = await handle.result();
  console.log(`\n== ${title}  [${handle.runId}]`);
  console.log(
    `   status ${result.status} (${result.finishReason}), ${result.steps} step(s), ${result.usage.modelCalls} model call(s), ${result.usage.toolCalls} tool call(s), tokens in/out ${result.usage.inputTokens}/${result.usage.outputTokens}`,
  );
  console.log(`   answer: ${result.output !== undefined ? JSON.stringify(result.output) : result.answer}`);
  console.log(`   ${link(handle.runId)}`);
}

async function main(): Promise<void> {
  const client = new AgentClient(await connectClient());
  console.log(
    `\ntemporal-agents demo: model ${model}${scripted ? '  (SCRIPTED model: deterministic stand-in, not a real LLM; set OPENAI_API_KEY or DEMO_MODEL for a real one)' : ''}`,
  );
  console.log(
    `templates: ${Object.values(templates)
      .map((t) => `${t.name} (${t.description})`)
      .join('; ')}`,
  );
  const user = 'demo-user';

  await show(
    'chat',
    await client.start({ template: 'chat', input: { message: 'Hello! What can a durable agent do?' }, model, user }),
  );
  await show(
    'react',
    await client.start({
      template: 'react',
      input: { task: 'What is (12 + 30) * 2? Use the calculator.' },
      model,
      user,
    }),
  );
  await show(
    'structured',
    await client.start({
      template: 'structured',
      input: {
        prompt: 'Describe a fictional city.',
        schema: {
          type: 'object',
          properties: { name: { type: 'string' }, population: { type: 'integer' } },
          required: ['name', 'population'],
        },
      },
      model,
      user,
    }),
  );

  // Pause and resume: a slow multi-step run parks at a step boundary and uses no worker while paused.
  const slowModel = scripted ? 'scripted:auto?rounds=5&delayMs=400' : model;
  const run = await client.start({
    template: 'react',
    input: { task: 'Compute 1+1, then 2*2, then 3*3, then 4*4, then 5*5, one tool call each.', maxSteps: 8 },
    model: slowModel,
    user,
  });
  while ((await run.state()).step < 1) await sleep(100);
  await run.pause();
  let state = await run.state();
  while (state.status !== 'paused') {
    await sleep(100);
    state = await run.state();
  }
  console.log(`\n== pause/resume  [${run.runId}]\n   paused after step ${state.step}`);
  await sleep(2000);
  const still = await run.state();
  console.log(`   2 s later: status ${still.status}, step ${still.step} (no model calls while paused)`);
  await run.resume();
  console.log('   resumed');
  await show('pause/resume result', run);

  console.log(`\nAll runs: ${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`AgentUser="${user}"`)}`);
  console.log(
    `Try: npx agentctl ls --user demo-user   |   npx agentctl start react --input '{"task":"What is 7*6?"}' --model ${model} --user me --wait`,
  );
}

main().catch((err) => {
  console.error(
    `demo failed: ${err instanceof Error ? `${(err as { type?: string }).type ?? err.name}: ${err.message}` : err}`,
  );
  process.exit(1);
});
