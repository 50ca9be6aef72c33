import type { DetectionItem } from '../api/contract';
import type {
  ClientOperation,
  Detection,
  DroppedFrame,
  ErrorFrame,
  EventFrame,
  ResyncFrame,
  StreamLifecycle,
  SubscriptionFrame,
} from '../generated/messages';

export type { ClientOperation };

/**
 * What the notifier pushes for one Kafka event (schemas/notifier-frame.schema.json), with its
 * payload typed by the message schema it carries.
 */
export type LiveEvent<T = unknown> = Omit<EventFrame, 'payload'> & { payload: T };

/**
 * What the notifier says about the connection itself: `dropped` (this client fell behind and lost
 * events) and `resync` (resuming was not possible) mean a screen should reload from the API.
 */
export type ControlFrame = SubscriptionFrame | ResyncFrame | DroppedFrame | ErrorFrame;

export type DetectionEvent = LiveEvent<Detection> & { type: 'detection' };
export type LifecycleEvent = LiveEvent<StreamLifecycle> & { type: 'stream.lifecycle' };

export function isDetectionEvent(event: LiveEvent): event is DetectionEvent {
  return event.type === 'detection';
}

export function isLifecycleEvent(event: LiveEvent): event is LifecycleEvent {
  return event.type === 'stream.lifecycle';
}

/**
 * Flattens one detection message (a segment's frames, each with results) into the items the REST
 * detections endpoint returns, numbered in message order across frames as results-api numbers
 * them, so that `event_id` + `item_index` identify an item whichever way it arrived. Results on
 * the previous segment's frames (`earlier_frames`: a logo followed back across the boundary)
 * come last and belong to that segment, as results-api stores them.
 */
export function flattenDetection(message: Detection, eventId: string): DetectionItem[] {
  const items: DetectionItem[] = [];
  const sequence = message.segment.sequence;
  const placed = [
    ...message.frames.map((frame) => ({ frame, sequence })),
    ...(message.earlier_frames ?? []).map((frame) => ({ frame, sequence: sequence - 1 })),
  ];
  for (const { frame, sequence: segmentSequence } of placed) {
    for (const result of frame.results) {
      items.push({
        event_id: eventId,
        item_index: items.length,
        run_id: message.run_id,
        detector: {
          name: message.detector.name,
          version: message.detector.version,
          config_hash: message.detector.config_hash,
        },
        executor: message.executor.kind,
        segment_sequence: segmentSequence,
        media_ts: frame.media_ts,
        kind: result.kind,
        label: result.label,
        confidence: result.confidence,
        box: result.box ?? null,
        area_share: result.area_share ?? null,
        attributes: result.attributes ?? {},
      });
    }
  }
  return items;
}
