/* Generated from schemas/notifier-frame.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

/**
 * A WebSocket text frame between the notifier (ws://HOST:8001/ws, the API token offered as the bearer.<token> subprotocol) and a client: not a Kafka message. Clients send ClientOperation frames; the server sends the others. See services/notifier/README.md.
 */
export type NotifierFrame = ClientOperation | EventFrame | SubscriptionFrame | ResyncFrame | DroppedFrame | ErrorFrame;

export interface ClientOperation {
  op: "subscribe" | "unsubscribe";
  /**
   * Stream ids, or ["*"] for every stream.
   *
   * @minItems 1
   * @maxItems 1000
   */
  streams: [string, ...string[]];
  /**
   * subscribe only: replay the buffered events that arrived after this one, then go live.
   */
  last_event_id?: string | null;
}
export interface EventFrame {
  /**
   * What the payload is: detection (Detection), exposure (ExposureUpdate), stream.lifecycle (StreamLifecycle), segment.ready (SegmentReady, only when the notifier is configured to push segments), alert (Alert: a rule fired or resolved).
   */
  type: "detection" | "exposure" | "stream.lifecycle" | "segment.ready" | "alert";
  /**
   * The Kafka envelope's event id: the same on every replica; remember the last one to resume.
   */
  event_id: string;
  stream_id: string;
  occurred_at: string;
  /**
   * The envelope payload, as in the message's schema.
   */
  payload: {};
}
export interface SubscriptionFrame {
  type: "subscribed" | "unsubscribed";
  streams: string[];
}
export interface ResyncFrame {
  type: "resync";
  /**
   * Streams whose missed events could not be replayed: refetch them from results-api.
   */
  streams: string[];
  reason: string;
}
export interface DroppedFrame {
  type: "dropped";
  /**
   * How many of the oldest queued frames were discarded because the client read too slowly; they preceded the next frame.
   */
  count: number;
}
export interface ErrorFrame {
  type: "error";
  reason: string;
}
