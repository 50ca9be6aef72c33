import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import type { components } from '../generated/api';

type Schemas = components['schemas'];

/** An alert as results-api keeps it: fired (ongoing) or resolved, with evidence and deliveries. */
export type AlertSummary = Schemas['AlertPublic'];
export type AlertKind = Schemas['AlertKind'];
export type AlertRule = Schemas['RulePublic'];
export type AlertRuleCreate = Schemas['RuleCreate'];
/** A new rule with its webhook signing secret (answered once). */
export type AlertRuleCreated = Schemas['RuleCreated'];
export type RuleWebhookSecret = Schemas['RuleWebhookSecret'];

export interface AlertQuery {
  stream_id?: string;
  kind?: AlertKind;
  status?: 'fired' | 'resolved';
  acknowledged?: boolean;
  limit?: number;
}

/** `/api/alerts` (list, acknowledge) and `/api/rules` (the rules that raise them). */
@Injectable({ providedIn: 'root' })
export class AlertsApi {
  private readonly http = inject(HttpClient);

  list(query: AlertQuery = {}): Observable<AlertSummary[]> {
    let params = new HttpParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') {
        params = params.set(name, String(value));
      }
    }
    return this.http.get<AlertSummary[]>('/api/alerts', { params });
  }

  acknowledge(alertId: string, by: string | null): Observable<AlertSummary> {
    return this.http.post<AlertSummary>(`/api/alerts/${encodeURIComponent(alertId)}/acknowledge`, {
      by,
    });
  }

  rules(): Observable<AlertRule[]> {
    return this.http.get<AlertRule[]>('/api/rules');
  }

  createRule(rule: AlertRuleCreate): Observable<AlertRuleCreated> {
    return this.http.post<AlertRuleCreated>('/api/rules', rule);
  }

  /** A new webhook signing secret for the rule; the old one stops signing. */
  rotateWebhookSecret(ruleId: string): Observable<RuleWebhookSecret> {
    return this.http.post<RuleWebhookSecret>(
      `/api/rules/${encodeURIComponent(ruleId)}/webhook-secret`,
      {},
    );
  }

  deleteRule(ruleId: string): Observable<void> {
    return this.http.delete<void>(`/api/rules/${encodeURIComponent(ruleId)}`);
  }
}
