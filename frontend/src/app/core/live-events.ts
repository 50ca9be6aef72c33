import type { Detection, StreamLifecycle } from '../generated/messages';
import type { DetectionItem } from '../api/contract';

/** What the notifier pushes: one Kafka event, with its id for resuming after a reconnect. */
export interface LiveEvent<T = unknown> {
  type: 'detection' | 'exposure' | 'stream.lifecycle' | string;
  event_id: string;
  stream_id: string;
  payload: T;
}

export type DetectionEvent = LiveEvent<Detection> & { type: 'detection' };
export type LifecycleEvent = LiveEvent<StreamLifecycle> & { type: 'stream.lifecycle' };

export function isDetectionEvent(event: LiveEvent): event is DetectionEvent {
  return event.type === 'detection';
}

export function isLifecycleEvent(event: LiveEvent): event is LifecycleEvent {
  return event.type === 'stream.lifecycle';
}

/**
 * Flattens one detection message (a segment's frames, each with results) into the same items the
 * REST detections endpoint returns, so that the overlay, feed and timeline handle both alike.
 */
export function flattenDetection(message: Detection, eventId?: string): DetectionItem[] {
  const items: DetectionItem[] = [];
  message.frames.forEach((frame, frameIndex) =>
    frame.results.forEach((result, resultIndex) =>
      items.push({
        id: eventId ? `${eventId}:${frameIndex}:${resultIndex}` : undefined,
        stream_id: message.stream_id,
        media_ts: frame.media_ts,
        kind: result.kind,
        label: result.label,
        confidence: result.confidence,
        box: result.box ?? null,
        area_share: result.area_share ?? null,
        run_id: message.run_id,
        detector: `${message.detector.name}@${message.detector.version}`,
        executor: message.executor.kind,
      }),
    ),
  );
  return items;
}
