"""`/api/rules` (alert rules: CRUD, announced to the alerts service) and `/api/alerts` (list,
filter, acknowledge; webhook delivery status)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from sightline_common.messages import AlertKind
from sightline_results_api.alerts.reads import AlertNotFoundError, AlertReads
from sightline_results_api.alerts.rules import AlertRules, InvalidRuleError, RuleNotFoundError
from sightline_results_api.alerts.schemas import (
    Acknowledge,
    AlertPublic,
    RuleCreate,
    RuleCreated,
    RulePublic,
    RuleUpdate,
    RuleWebhookSecret,
)
from sightline_results_api.api.deps import ContextDep, SessionDep

router = APIRouter(tags=["alerts"])


def get_rules(session: SessionDep, context: ContextDep) -> AlertRules:
    """The rule store for this request."""
    settings = context.settings
    return AlertRules(
        session,
        context.publisher,
        webhook_allow_private=settings.webhook_allow_private,
        webhook_deployment_secret=settings.webhook_deployment_secret(),
    )


RulesDep = Annotated[AlertRules, Depends(get_rules)]


def get_reads(session: SessionDep) -> AlertReads:
    """Alert queries for this request."""
    return AlertReads(session)


ReadsDep = Annotated[AlertReads, Depends(get_reads)]


@contextmanager
def _answers() -> Iterator[None]:
    """Domain errors as the HTTP answers they mean."""
    try:
        yield
    except InvalidRuleError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except RuleNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "rule not found") from exc
    except AlertNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "alert not found") from exc


_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "the rule cannot be evaluated as written (the detail says why)"}
}
_MISSING: dict[int | str, dict[str, Any]] = {404: {"description": "not found"}}


@router.post("/rules", status_code=status.HTTP_201_CREATED, responses=_INVALID)
def create_rule(body: RuleCreate, rules: RulesDep) -> RuleCreated:
    """Create an alert rule; the alerts service evaluates it within seconds. The answer carries
    the secret the rule's webhooks are signed with (shown this once; rotate to get a new one).
    422 for an unknown stream or brand, a self-intersecting zone, or a webhook URL that is not
    http(s) or points at an internal address (unless SIGHTLINE_WEBHOOK_ALLOW_PRIVATE)."""
    with _answers():
        return rules.create(body)


@router.post("/rules/{rule_id}/webhook-secret", responses=_MISSING)
def rotate_webhook_secret(rule_id: str, rules: RulesDep) -> RuleWebhookSecret:
    """Give the rule a new webhook signing secret and answer it (a write token only: a secret
    is never listed). The old secret stops signing as soon as the alerts service has read the
    change, within seconds; a rule from before per-rule secrets moves off the deployment's."""
    with _answers():
        return rules.rotate_webhook_secret(rule_id)


@router.get("/rules")
def list_rules(rules: RulesDep, stream_id: str | None = None) -> list[RulePublic]:
    """Every rule (or a stream's), oldest first."""
    return rules.of_stream(stream_id)


@router.get("/rules/{rule_id}", responses=_MISSING)
def get_rule(rule_id: str, rules: RulesDep) -> RulePublic:
    """One rule."""
    with _answers():
        return rules.get(rule_id)


@router.patch("/rules/{rule_id}", responses={**_INVALID, **_MISSING})
def update_rule(rule_id: str, body: RuleUpdate, rules: RulesDep) -> RulePublic:
    """Change a rule (kind and stream stay); checked whole like a new one."""
    with _answers():
        return rules.update(rule_id, body)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_MISSING)
def delete_rule(rule_id: str, rules: RulesDep) -> None:
    """Delete a rule; its ongoing alerts are no longer evaluated."""
    with _answers():
        rules.delete(rule_id)


@router.get("/alerts")
def list_alerts(  # noqa: PLR0917 - one parameter per filter
    reads: ReadsDep,
    stream_id: str | None = None,
    kind: AlertKind | None = None,
    brand: str | None = None,
    alert_status: Annotated[str | None, Query(alias="status", pattern="^(fired|resolved)$")] = None,
    acknowledged: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertPublic]:
    """Alerts newest first; `status=fired` lists the ongoing ones."""
    return reads.filtered(
        stream_id=stream_id,
        kind=kind.value if kind else None,
        brand=brand,
        status=alert_status,
        acknowledged=acknowledged,
        limit=limit,
    )


@router.get("/alerts/{alert_id}", responses=_MISSING)
def get_alert(alert_id: str, reads: ReadsDep) -> AlertPublic:
    """One alert with the status of its webhook deliveries."""
    with _answers():
        return reads.get(alert_id)


@router.post("/alerts/{alert_id}/acknowledge", responses=_MISSING)
def acknowledge_alert(alert_id: str, body: Acknowledge, reads: ReadsDep) -> AlertPublic:
    """Mark an alert seen; the first acknowledgement stands."""
    with _answers():
        return reads.acknowledge(alert_id, body.by)
