/**
 * Activities a run's history records, remote (ActivityTaskScheduled) and local (the SDK's local-activity markers):
 * tools marked `local` run as local activities, so tests count both.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface RecordedActivity {
  type: string;
  local: boolean;
  event: HistoryEvent;
}

/** The marker core records for each finished local activity. */
const localActivityMarker = 'core_local_activity';

export function recordedActivities(history: temporal.api.history.v1.IHistory): RecordedActivity[] {
  const activities: RecordedActivity[] = [];
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activities.push({ type: scheduled.activityType?.name ?? '?', local: false, event });
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === localActivityMarker) {
      const data = defaultPayloadConverter.fromPayload<{ activity_type?: string }>(marker.details!.data!.payloads![0]);
      activities.push({ type: data.activity_type ?? '?', local: true, event });
    }
  }
  return activities;
}

/** The types of the remote (`local: false`) or the local activities a history records, in order. */
export function activityTypes(history: temporal.api.history.v1.IHistory, local: boolean): string[] {
  return recordedActivities(history)
    .filter((a) => a.local === local)
    .map((a) => a.type);
}
