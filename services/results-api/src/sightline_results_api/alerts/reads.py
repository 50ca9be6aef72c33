"""The read side of `/api/alerts`: filter, fetch with deliveries, acknowledge."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from sightline_results_api.alerts.schemas import AlertPublic, DeliveryPublic
from sightline_results_api.alerts.tables import AlertDeliveryRow, AlertRow


class AlertNotFoundError(LookupError):
    """No alert with that id (a 404)."""


class AlertReads:
    """Queries over the materialized alerts for one request."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def filtered(
        self,
        *,
        stream_id: str | None,
        kind: str | None,
        brand: str | None,
        status: str | None,
        acknowledged: bool | None,
        limit: int,
    ) -> list[AlertPublic]:
        """Alerts newest first, filtered by what is given."""
        query = select(AlertRow)
        if stream_id is not None:
            query = query.where(AlertRow.stream_id == stream_id)
        if kind is not None:
            query = query.where(AlertRow.kind == kind)
        if brand is not None:
            query = query.where(AlertRow.brand == brand)
        if status is not None:
            query = query.where(AlertRow.status == status)
        if acknowledged is not None:
            ack = col(AlertRow.acknowledged_at)
            query = query.where(ack.is_not(None) if acknowledged else ack.is_(None))
        query = query.order_by(col(AlertRow.fired_at).desc().nulls_last()).limit(limit)
        return [_public(row, []) for row in self._session.exec(query)]

    def get(self, alert_id: str) -> AlertPublic:
        """One alert with its webhook deliveries."""
        row = self._row(alert_id)
        deliveries = self._session.exec(
            select(AlertDeliveryRow)
            .where(AlertDeliveryRow.alert_id == alert_id)
            .order_by(col(AlertDeliveryRow.updated_at))
        ).all()
        return _public(row, list(deliveries))

    def acknowledge(self, alert_id: str, by: str | None) -> AlertPublic:
        """Mark the alert seen (the first acknowledgement stands)."""
        row = self._row(alert_id)
        if row.acknowledged_at is None:
            row.acknowledged_at = datetime.now(UTC)
            row.acknowledged_by = by
            self._session.add(row)
            self._session.commit()
        return self.get(alert_id)

    def _row(self, alert_id: str) -> AlertRow:
        row = self._session.get(AlertRow, alert_id)
        if row is None:
            raise AlertNotFoundError(alert_id)
        return row


def _public(row: AlertRow, deliveries: list[AlertDeliveryRow]) -> AlertPublic:
    public = AlertPublic.model_validate(row, from_attributes=True)
    public.deliveries = [DeliveryPublic.model_validate(d, from_attributes=True) for d in deliveries]
    return public
