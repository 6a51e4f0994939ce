/**
 * The check behind "no finished model call is repeated", from two records that do not depend on our code: the
 * stub's log (each answered request names its run, step and activity attempt) and Temporal's history (each
 * step's model-call activity, the attempt that finished it, and why the attempt before it failed).
 *
 * A step may be answered more than once only by attempts of its one activity that Temporal abandoned before
 * the finishing attempt, each answered once, the last of them for a timeout (a killed worker stops
 * heartbeating). Anything else is a finished call made again: a second activity for the step, one attempt
 * answered twice, or an attempt retried after it failed for another reason once the provider had answered.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { LoggedRequest } from '../../llm-stub';

/** One step's model call as Temporal recorded it. */
export interface RecordedModelCall {
  /** `invokeModel` activities scheduled for this step: 1 unless the workflow made the call again. */
  activities: number;
  /** The attempt that completed it. */
  finalAttempt: number;
  /** Why the attempt before `finalAttempt` failed, if there was one. */
  lastFailure?: string;
}

export interface RepeatReport {
  /** Answered calls per `run#step`. */
  answered: Map<string, number>;
  /** `run#step` answered more than once, only by attempts Temporal abandoned. */
  repeated: string[];
  /** `run#step` whose repeats are not explained so: a finished call was made again. */
  unexplained: string[];
  /** `run#step` with a recorded model call but no answered request, or the reverse. */
  missing: string[];
}

/** Each step's model call of these runs, by `run#step`, read from history. */
export async function recordedModelCalls(handles: WorkflowHandle[]): Promise<Map<string, RecordedModelCall>> {
  const recorded = new Map<string, RecordedModelCall>();
  await Promise.all(
    handles.map(async (handle) => {
      const stepOf = new Map<string, number>();
      for (const event of (await handle.fetchHistory()).events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name === 'invokeModel') {
          const [input] =
            scheduled.input?.payloads?.map((p) => defaultPayloadConverter.fromPayload<{ step: number }>(p)) ?? [];
          const key = `${handle.workflowId}#${input.step}`;
          stepOf.set(String(event.eventId), input.step);
          const call = recorded.get(key) ?? { activities: 0, finalAttempt: 0 };
          recorded.set(key, { ...call, activities: call.activities + 1 });
        }
        // The started event is written when the activity closes: it names the attempt that finished it.
        const started = event.activityTaskStartedEventAttributes;
        const step = started ? stepOf.get(String(started.scheduledEventId)) : undefined;
        if (!started || step === undefined) continue;
        const key = `${handle.workflowId}#${step}`;
        recorded.set(key, {
          ...recorded.get(key)!,
          finalAttempt: started.attempt ?? 1,
          lastFailure: started.lastFailure?.message ?? undefined,
        });
      }
    }),
  );
  return recorded;
}

/** @param recorded from {@link recordedModelCalls}: only these runs' requests are checked. */
export function checkRepeats(requests: LoggedRequest[], recorded: Map<string, RecordedModelCall>): RepeatReport {
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
    const call = recorded.get(key);
    if (call === undefined || ok.length === 0) {
      if (call !== undefined || ok.length > 0) report.missing.push(key);
      continue;
    }
    if (ok.length === 1 && call.activities === 1) continue;
    const attempts = ok.map((r) => r.key.attempt ?? 0);
    const abandoned = attempts.filter((a) => a < call.finalAttempt);
    const explained =
      call.activities === 1 &&
      new Set(attempts).size === attempts.length &&
      abandoned.length === attempts.length - 1 &&
      /timeout/i.test(call.lastFailure ?? '');
    (explained ? report.repeated : report.unexplained).push(key);
  }
  for (const key of recorded.keys()) if (!byStep.has(key)) report.missing.push(key);
  return report;
}
