/**
 * The check behind "no finished model call is repeated": group the stub's log by (run, step); a step may have
 * more than one answered call only if a worker died while that step's call was in flight, i.e. between its
 * first request and the moment the run recorded the call (its `model.call` event).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { RunEvent } from '../../agents/events';
import { followEvents } from '../../client/follow';
import type { LoggedRequest } from '../../llm-stub';

export interface RepeatReport {
  /** Answered calls per `run#step`. */
  answered: Map<string, number>;
  /** `run#step` answered more than once, each explained by a kill in its window. */
  repeated: string[];
  /** `run#step` answered more often than kills in its window allow: a finished call was made again. */
  unexplained: string[];
  /** `run#step` with a recorded model call but no answered request, or the reverse. */
  missing: string[];
}

/** When each run recorded each step's model call (epoch ms of the `model.call` event), by `run#step`. */
export async function recordedModelCalls(handles: WorkflowHandle[]): Promise<Map<string, number>> {
  const recorded = new Map<string, number>();
  await Promise.all(
    handles.map(async (handle) => {
      for await (const event of followEvents(handle)) {
        if (event.type !== 'model.call') continue;
        const { step } = (event as RunEvent<'model.call'>).data;
        recorded.set(`${handle.workflowId}#${step}`, Date.parse(event.at));
      }
    }),
  );
  return recorded;
}

/**
 * @param recorded from {@link recordedModelCalls}: only these runs' requests are checked.
 * @param kills epoch ms of every worker death during the test.
 */
export function checkRepeats(requests: LoggedRequest[], recorded: Map<string, number>, kills: number[]): RepeatReport {
  const runs = new Set([...recorded.keys()].map((key) => key.slice(0, key.lastIndexOf('#'))));
  const byStep = new Map<string, LoggedRequest[]>();
  for (const r of requests) {
    if (r.path !== '/v1/chat/completions' || r.key.run === undefined || !runs.has(r.key.run)) continue;
    const key = `${r.key.run}#${r.key.step}`;
    byStep.set(key, [...(byStep.get(key) ?? []), r]);
  }
  const answered = new Map<string, number>();
  const report: RepeatReport = { answered, repeated: [], unexplained: [], missing: [] };
  for (const [key, calls] of byStep) {
    const ok = calls.filter((r) => r.outcome === 'ok');
    answered.set(key, ok.length);
    const recordedAt = recorded.get(key);
    if (recordedAt === undefined || ok.length === 0) {
      if (recordedAt !== undefined || ok.length > 0) report.missing.push(key);
      continue;
    }
    if (ok.length === 1) continue;
    const firstAt = Date.parse(calls[0].time);
    const killsInWindow = kills.filter((t) => t >= firstAt && t <= recordedAt).length;
    (ok.length - 1 <= killsInWindow ? report.repeated : report.unexplained).push(key);
  }
  for (const key of recorded.keys()) if (!byStep.has(key)) report.missing.push(key);
  return report;
}
