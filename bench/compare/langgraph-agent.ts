/**
 * The same job in LangGraph.js, for context: the quickstart agent (model node, ToolNode, toolsCondition) with
 * `ChatOpenAI` against the stub and the SQLite checkpointer, all in one process.
 */
import { tool } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { evaluate } from '../bare/calculator';
import { systemPrompt } from '../bare/prompt';

const calculator = tool(async ({ expression }) => String(evaluate(expression)), {
  name: 'calculator',
  description: 'Evaluates an arithmetic expression, e.g. "(2 + 3) * 4".',
  schema: z.object({ expression: z.string() }),
});

export interface LangGraphAgentOptions {
  stubUrl: string;
  /** SQLite file of the checkpointer. */
  checkpointPath: string;
  rounds: number;
  /** Sent as `x-agent-run`, so the stub's log can be read per run. */
  runHeader?: string;
}

export function buildLangGraphAgent(options: LangGraphAgentOptions) {
  const model = new ChatOpenAI({
    model: `stub-model?rounds=${options.rounds}`,
    apiKey: 'not-needed',
    configuration: {
      baseURL: options.stubUrl,
      ...(options.runHeader ? { defaultHeaders: { 'x-agent-run': options.runHeader } } : {}),
    },
  }).bindTools([calculator]);
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode('tools', new ToolNode([calculator]))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent');
  return graph.compile({ checkpointer: SqliteSaver.fromConnString(options.checkpointPath) });
}

export const langGraphInput = (task: string) => ({
  messages: [
    { role: 'system', content: systemPrompt },
    { role: 'user', content: task },
  ],
});
