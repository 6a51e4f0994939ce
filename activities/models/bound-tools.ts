/**
 * Tool-bound models kept per model and tool set. LangChain's `bindTools` returns a new model each time (for
 * `ChatOpenAI` a new model and HTTP client), so binding on every call cost more CPU than a shared model saves.
 */
import type { ModelCallRequest } from '../middleware/types';

type ToolCapableModel = ModelCallRequest['model'];
type BoundModel = ReturnType<NonNullable<ToolCapableModel['bindTools']>>;

const boundModels = new WeakMap<object, Map<string, BoundModel>>();
/** Tool sets differ per template and spec: past this many per model the oldest is dropped, not kept forever. */
export const maxBoundToolSets = 64;

/** `model` with `tools` bound (and `toolChoice` forced, if given): the same object for the same model and tools. */
export function bindToolsShared(
  model: ToolCapableModel,
  tools: ModelCallRequest['tools'],
  toolChoice?: ModelCallRequest['toolChoice'],
): BoundModel {
  if (!model.bindTools) throw new TypeError('this model cannot call tools (it has no bindTools)');
  let bound = boundModels.get(model);
  if (!bound) boundModels.set(model, (bound = new Map()));
  const key = JSON.stringify([tools, toolChoice ?? null]);
  let runnable = bound.get(key);
  if (!runnable) {
    if (bound.size >= maxBoundToolSets) bound.delete(bound.keys().next().value!);
    runnable = model.bindTools(tools, toolChoice ? { tool_choice: toolChoice } : undefined);
    bound.set(key, runnable);
  }
  return runnable;
}
