/** Built-in tool implementations as LangChain tools, built from the shared catalog in `agents/tool-specs.ts`. */
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { calculatorSpec, currentTimeSpec, wordCountSpec } from '../../agents/tool-specs';
import { evaluateArithmetic } from './calculator';

export const calculatorTool = tool(({ expression }) => String(evaluateArithmetic(expression)), calculatorSpec);

export const currentTimeTool = tool(() => new Date().toISOString(), currentTimeSpec);

export const wordCountTool = tool(({ text }) => {
  const words = text.trim() ? text.trim().split(/\s+/).length : 0;
  return JSON.stringify({ words, characters: text.length });
}, wordCountSpec);

export const builtinTools: Record<string, StructuredToolInterface> = {
  [calculatorSpec.name]: calculatorTool,
  [currentTimeSpec.name]: currentTimeTool,
  [wordCountSpec.name]: wordCountTool,
};

/** The LangChain tools for these names (names are checked against the catalog before a run starts). */
export function toolsByName(names: readonly string[]): StructuredToolInterface[] {
  return names.map((name) => builtinTools[name]).filter((t): t is StructuredToolInterface => t !== undefined);
}
