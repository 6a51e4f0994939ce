/** The system prompt of the compared agents: the same words as our `react` template's. */
export const systemPrompt =
  'You are an agent that solves tasks step by step. Use the tools when they help; ' +
  'when you have the answer, reply with it and call no tool.';
