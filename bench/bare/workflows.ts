/**
 * The bare baseline's workflows: the agent loop written by hand the way the Temporal samples do it. Not our code's
 * conventions on purpose: this is what a user would write without temporal-agents (bench:compare measures it).
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './activities';
import type { Message } from './activities';
import { systemPrompt } from './prompt';

const { callModel, callTool } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

/** Model, tools, model, ... until the model answers without asking for a tool. */
export async function bareAgent(task: string, model: string, maxSteps = 8): Promise<string> {
  const messages: Message[] = [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: task },
  ];
  for (let step = 0; step < maxSteps; step++) {
    const reply = await callModel(model, messages);
    messages.push(reply);
    if (!reply.toolCalls?.length) return reply.content;
    for (const call of reply.toolCalls) {
      messages.push({ role: 'tool', toolCallId: call.id, content: await callTool(call.name, call.args) });
    }
  }
  return messages[messages.length - 1].content;
}

export const resumeSignal = defineSignal('resume');

/** The same agent, parked until someone sends `resume` (a run waiting for a person). */
export async function bareParkedAgent(task: string, model: string): Promise<string> {
  let resumed = false;
  setHandler(resumeSignal, () => void (resumed = true));
  await condition(() => resumed);
  return bareAgent(task, model);
}
