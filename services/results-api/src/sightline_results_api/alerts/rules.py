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
from typing import TypeVar

from sqlalchemy import or_
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


RuleFieldsT = TypeVar("RuleFieldsT", bound=RuleFields)


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
        now = datetime.now(UTC)
        body = _as_set(body, now)
        self._check(body)
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
        if change.stream_ids == []:  # back to a single stream: its period runs on stream time
            fields["period_start_at"] = None
        merged = _as_set(RuleFields.model_validate(fields), datetime.now(UTC))
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
            member = col(AlertRuleRow.stream_ids).contains([stream_id])
            query = query.where(or_(col(AlertRuleRow.stream_id) == stream_id, member))
        return [to_public(row) for row in self._session.exec(query)]

    def _row(self, rule_id: str) -> AlertRuleRow:
        row = self._session.get(AlertRuleRow, rule_id)
        if row is None:
            raise RuleNotFoundError(rule_id)
        return row

    def _check(self, rule: RuleFields) -> None:
        self._check_streams([rule.stream_id, *rule.stream_ids])
        if rule.kind in BRAND_KINDS:
            self._check_brands(rule.brands)
        elif rule.brands:
            raise InvalidRuleError(f"a {rule.kind.value} rule names no brands")
        if rule.kind in _BOUNDED and rule.duration_s <= 0:
            raise InvalidRuleError(f"a {rule.kind.value} rule needs duration_s > 0")
        if rule.kind == AlertKind.pacing:
            _check_pacing(rule)
        elif rule.stream_ids or rule.period_start_at is not None:
            raise InvalidRuleError("only a pacing rule runs over a set of streams")
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

    def _check_streams(self, stream_ids: list[str]) -> None:
        found = self._session.exec(select(Stream).where(col(Stream.id).in_(stream_ids))).all()
        known = {s.id for s in found if not s.deleting}
        unknown = [s for s in dict.fromkeys(stream_ids) if s not in known]
        if len(unknown) == 1:
            raise InvalidRuleError(f"unknown stream {unknown[0]!r}")
        if unknown:
            raise InvalidRuleError(f"unknown streams {unknown}")

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


def _as_set(rule: RuleFieldsT, now: datetime) -> RuleFieldsT:
    """A rule over a set of streams with its members deduplicated, stream_id first (the set's
    alerts are filed under it; a list without it is left for the check to refuse), and its
    period starting `now` unless it says when. Other rules unchanged."""
    if not rule.stream_ids:
        return rule
    update: dict[str, object] = {}
    if rule.stream_id in rule.stream_ids:
        update["stream_ids"] = list(dict.fromkeys([rule.stream_id, *rule.stream_ids]))
    if rule.period_start_at is None:
        update["period_start_at"] = now
    return rule.model_copy(update=update)


def _check_pacing(rule: RuleFields) -> None:
    if rule.target_s is None or rule.period_s is None:
        raise InvalidRuleError("a pacing rule needs target_s and period_s")
    if rule.stream_ids:
        _check_stream_set(rule)
    elif rule.period_start_at is not None:
        raise InvalidRuleError("period_start_at is for pacing over a set of streams (stream_ids)")
    if rule.target_s > rule.period_s:
        raise InvalidRuleError("target_s is more screen time than the period has")
    if rule.warmup_s is not None and rule.warmup_s >= rule.period_s:
        raise InvalidRuleError("warmup_s must end before the period does")


def _check_stream_set(rule: RuleFields) -> None:
    if rule.stream_id not in rule.stream_ids:
        raise InvalidRuleError("stream_ids must include stream_id (where the alerts are filed)")
    if len(rule.stream_ids) < 2:
        raise InvalidRuleError("a set of streams has at least two (or leave stream_ids empty)")
    if rule.period_start_s is not None:
        raise InvalidRuleError(
            "a set of streams runs on wall-clock time: give period_start_at, not period_start_s"
        )


def to_public(row: AlertRuleRow) -> RulePublic:
    """The API view of a rule row."""
    return RulePublic.model_validate(row, from_attributes=True)


def _columns(rule: RuleFields) -> dict[str, object]:
    values = rule.model_dump(mode="json")
    values["kind"] = rule.kind.value
    return values
