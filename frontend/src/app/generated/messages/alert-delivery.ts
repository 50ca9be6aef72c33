/* Generated from schemas/alert-delivery.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */

export type DeliveryStatus = "delivered" | "retrying" | "dead";

/**
 * type `alert.delivery`, version 1, on the compacted `alert-deliveries` topic keyed by `<alert event_id>|<url>`: how a webhook delivery of one alert message went. `delivered` and `dead` are final; results-api shows them, the alerts service reads them back at start so that a delivered message is never sent again.
 */
export interface AlertDelivery {
  alert_event_id: string;
  alert_id: string;
  rule_id: string;
  stream_id: string;
  alert_status?: ("fired" | "resolved") | null;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code?: number | null;
  last_error?: string | null;
}
