"""The rule store: checks a rule against what exists (stream, brands in the logo library), its
zone and its webhook URL, keeps it in Postgres and announces it on the compacted
`alert-rules` topic, where the alerts service picks it up within seconds.

The publish is flushed before the transaction commits (as `events.StatePublisher` does): a
broker that does not take it fails the request, and the table never holds a rule the alerts
service does not know.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from sightline_common.envelope import wrap
from sightline_common.messages import AlertKind, AlertRule
from sightline_common.topics import Topic
from sightline_common.webhook_keys import FIRST_RULE_KEY_VERSION, rule_webhook_secret
from sightline_common.webhook_policy import WebhookNotAllowedError, check_webhook_url
from sightline_common.zones import InvalidZoneError, check_zone
from sightline_results_api.alerts.schemas import (
    RuleCreate,
    RuleCreated,
    RuleFields,
    RulePublic,
    RuleUpdate,
    RuleWebhookSecret,
)
from sightline_results_api.alerts.tables import AlertRuleRow
from sightline_results_api.events import PUBLISH_TIMEOUT_S, StatePublisher
from sightline_results_api.models import Logo, Stream

BRAND_KINDS = frozenset(
    {AlertKind.appearance, AlertKind.absence, AlertKind.competitor, AlertKind.pacing}
)


# Kinds whose duration_s is a bound that must be positive (silence, lag).
_BOUNDED = frozenset({AlertKind.stream_health, AlertKind.detector_lag})


class InvalidRuleError(ValueError):
    """The rule cannot be evaluated as written; the message says why (a 422)."""


class RuleNotFoundError(LookupError):
    """No rule with that id (a 404)."""


class AlertRules:
    """Create, change, delete and list rules for one request."""

    def __init__(
        self,
        session: Session,
        publisher: StatePublisher,
        *,
        webhook_allow_private: bool,
        webhook_deployment_secret: bytes,
    ) -> None:
        self._session = session
        self._publisher = publisher
        self._allow_private = webhook_allow_private
        self._deployment_secret = webhook_deployment_secret

    def create(self, body: RuleCreate) -> RuleCreated:
        """Check, store and announce a new rule; its webhook secret comes with the answer."""
        self._check(body)
        now = datetime.now(UTC)
        row = AlertRuleRow.model_validate(
            {
                "id": str(uuid.uuid4()),
                "created_at": now,
                "updated_at": now,
                "webhook_secret_version": FIRST_RULE_KEY_VERSION,
                **_columns(body),
            }
        )
        self._session.add(row)
        self._session.flush()
        self._announce(row)
        self._session.commit()
        secret = self._secret_of(row).secret
        return RuleCreated.model_validate({**to_public(row).model_dump(), "webhook_secret": secret})

    def rotate_webhook_secret(self, rule_id: str) -> RuleWebhookSecret:
        """Give the rule a new webhook secret. The alerts service signs with it from the moment
        it reads the announcement, deliveries being retried included; the old one stops."""
        row = self._row(rule_id)
        row.webhook_secret_version += 1
        row.updated_at = datetime.now(UTC)
        self._session.add(row)
        self._session.flush()
        self._announce(row)
        self._session.commit()
        return self._secret_of(row)

    def _secret_of(self, row: AlertRuleRow) -> RuleWebhookSecret:
        version = row.webhook_secret_version
        secret = rule_webhook_secret(self._deployment_secret, row.id, version)
        return RuleWebhookSecret(rule_id=row.id, version=version, secret=secret.decode())

    def update(self, rule_id: str, change: RuleUpdate) -> RulePublic:
        """Apply `change`, check the whole rule again, store and announce it."""
        row = self._row(rule_id)
        fields = to_public(row).model_dump(include=set(RuleFields.model_fields))
        given = change.model_dump(exclude_unset=True, exclude={"clear_zone", "clear_webhook"})
        fields.update({k: v for k, v in given.items() if v is not None})
        if change.clear_zone:
            fields["zone"] = None
        if change.clear_webhook:
            fields["webhook_url"] = None
        merged = RuleFields.model_validate(fields)
        self._check(merged)
        for name, value in _columns(merged).items():
            setattr(row, name, value)
        row.updated_at = datetime.now(UTC)
        self._session.add(row)
        self._session.flush()
        self._announce(row)
        self._session.commit()
        return to_public(row)

    def delete(self, rule_id: str) -> None:
        """Remove the rule and tombstone it on the topic (the evaluators drop it)."""
        row = self._row(rule_id)
        self._session.delete(row)
        self._session.flush()
        self._publisher.rule_tombstones([rule_id])
        self._session.commit()

    def get(self, rule_id: str) -> RulePublic:
        """One rule."""
        return to_public(self._row(rule_id))

    def of_stream(self, stream_id: str | None) -> list[RulePublic]:
        """Every rule, or a stream's, oldest first."""
        query = select(AlertRuleRow).order_by(col(AlertRuleRow.created_at), col(AlertRuleRow.id))
        if stream_id is not None:
            query = query.where(AlertRuleRow.stream_id == stream_id)
        return [to_public(row) for row in self._session.exec(query)]

    def _row(self, rule_id: str) -> AlertRuleRow:
        row = self._session.get(AlertRuleRow, rule_id)
        if row is None:
            raise RuleNotFoundError(rule_id)
        return row

    def _check(self, rule: RuleFields) -> None:
        stream = self._session.get(Stream, rule.stream_id)
        if stream is None or stream.deleting:
            raise InvalidRuleError(f"unknown stream {rule.stream_id!r}")
        if rule.kind in BRAND_KINDS:
            self._check_brands(rule.brands)
        elif rule.brands:
            raise InvalidRuleError(f"a {rule.kind.value} rule names no brands")
        if rule.kind in _BOUNDED and rule.duration_s <= 0:
            raise InvalidRuleError(f"a {rule.kind.value} rule needs duration_s > 0")
        if rule.kind == AlertKind.pacing:
            _check_pacing(rule)
        _check_picture(rule)
        if rule.zone is not None:
            try:
                check_zone([(p.x, p.y) for p in rule.zone])
            except InvalidZoneError as exc:
                raise InvalidRuleError(str(exc)) from exc
        if rule.webhook_url is not None:
            try:
                check_webhook_url(rule.webhook_url, allow_private=self._allow_private)
            except WebhookNotAllowedError as exc:
                raise InvalidRuleError(str(exc)) from exc

    def _check_brands(self, brands: list[str]) -> None:
        if not brands:
            raise InvalidRuleError("name at least one brand of the logo library")
        known = set(self._session.exec(select(Logo.brand).where(col(Logo.brand).in_(brands))).all())
        unknown = sorted(set(brands) - known)
        if unknown:
            raise InvalidRuleError(f"unknown brand(s) {unknown}: add them to the logo library")

    def _announce(self, row: AlertRuleRow) -> None:
        publisher = self._publisher
        message = AlertRule.model_validate(
            {
                "rule_id": row.id,
                "webhook_secret_version": row.webhook_secret_version,
                **to_public(row).model_dump(mode="json", include=set(RuleFields.model_fields)),
            }
        )
        envelope = wrap(message, key=row.id, producer=publisher.producer_id)
        publisher.producer.publish(publisher.topics.name(Topic.ALERT_RULES), envelope)
        publisher.producer.flush(PUBLISH_TIMEOUT_S)


def _check_picture(rule: RuleFields) -> None:
    if rule.kind != AlertKind.picture:
        if rule.conditions:
            raise InvalidRuleError("only a picture rule has conditions")
        return
    if not rule.conditions:
        raise InvalidRuleError("a picture rule watches at least one of dark, blurry, still")
    if rule.duration_s <= 0:
        raise InvalidRuleError("a picture rule needs duration_s > 0")


def _check_pacing(rule: RuleFields) -> None:
    if rule.target_s is None or rule.period_s is None:
        raise InvalidRuleError("a pacing rule needs target_s and period_s")
    if rule.target_s > rule.period_s:
        raise InvalidRuleError("target_s is more screen time than the period has")
    if rule.warmup_s is not None and rule.warmup_s >= rule.period_s:
        raise InvalidRuleError("warmup_s must end before the period does")


def to_public(row: AlertRuleRow) -> RulePublic:
    """The API view of a rule row."""
    return RulePublic.model_validate(row, from_attributes=True)


def _columns(rule: RuleFields) -> dict[str, object]:
    values = rule.model_dump(mode="json")
    values["kind"] = rule.kind.value
    return values
