import { DatePipe } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  OnInit,
  inject,
  signal,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { debounceTime, filter } from 'rxjs';
import {
  AlertKind,
  AlertQuery,
  AlertRule,
  AlertRuleCreate,
  AlertSummary,
  AlertsApi,
} from '../../api/alerts-api';
import { StreamSummary } from '../../api/contract';
import { StreamsApi } from '../../api/streams-api';
import { describeApiError } from '../../core/api-error';
import { LiveFeed } from '../../core/live-feed';
import type { LiveEvent } from '../../core/live-events';
import type { Alert } from '../../generated/messages';
import { ErrorBanner } from '../../shared/error-banner';
import { describeAlert, parseZone } from './alert-format';
import { ZoneDrawer } from './zone-drawer';

export const ALERT_KINDS: AlertKind[] = [
  'appearance',
  'competitor',
  'absence',
  'stream_health',
  'pacing',
  'picture',
  'detector_lag',
];

/** How long after the last pushed alert the list is reloaded from results-api. */
export const RELOAD_AFTER_PUSH_MS = 1500;

/**
 * The list with a pushed alert transition merged in (a new alert first), unless the screen's
 * filters would not show it.
 */
export function mergePushed(list: AlertSummary[], alert: Alert, query: AlertQuery): AlertSummary[] {
  if (
    (query.stream_id && query.stream_id !== alert.stream_id) ||
    (query.kind && query.kind !== alert.kind) ||
    (query.status && query.status !== alert.status)
  ) {
    return list;
  }
  const existing = list.find((a) => a.alert_id === alert.alert_id);
  const evidence = (alert.evidence ?? {}) as Record<string, unknown>;
  const merged: AlertSummary = {
    ...(existing ?? {
      alert_id: alert.alert_id,
      rule_id: alert.rule_id,
      rule_name: alert.rule_name,
      kind: alert.kind,
      stream_id: alert.stream_id,
      brand: alert.brand ?? null,
      fired_at: null,
      resolved_at: null,
      fired_evidence: null,
      resolved_evidence: null,
      acknowledged_at: null,
      acknowledged_by: null,
      deliveries: [],
    }),
    status: alert.status,
    ...(alert.status === 'fired'
      ? { fired_at: alert.at, fired_evidence: evidence }
      : { resolved_at: alert.at, resolved_evidence: evidence }),
  };
  return existing
    ? list.map((a) => (a.alert_id === alert.alert_id ? merged : a))
    : [merged, ...list];
}

/** The rule form as typed (numbers and lists as text until it is sent). */
interface RuleDraft {
  name: string;
  kind: AlertKind;
  stream_id: string;
  brands: string;
  duration_s: string;
  zone: string;
  min_confidence: string;
  cooldown_s: string;
  webhook_url: string;
  target_s: string;
  period_s: string;
  conditions: string;
  /** Pacing over a set of streams: the other member streams (besides `stream_id`). */
  member_ids?: string[];
  /** Its wall-clock start as a `datetime-local` value (local time); empty: from creation. */
  period_start?: string;
}

const EMPTY_DRAFT: RuleDraft = {
  name: '',
  kind: 'appearance',
  stream_id: '',
  brands: '',
  duration_s: '10',
  zone: '',
  min_confidence: '',
  cooldown_s: '',
  webhook_url: '',
  target_s: '',
  period_s: '',
  conditions: '',
  member_ids: [],
  period_start: '',
};

/** The API body for a draft, or the reason it cannot be sent. */
export function ruleFromDraft(draft: RuleDraft): AlertRuleCreate | string {
  const zone = parseZone(draft.zone);
  if (typeof zone === 'string') {
    return zone;
  }
  const number = (text: string) => (text.trim() === '' ? undefined : Number(text));
  const rule: AlertRuleCreate = {
    name: draft.name.trim() || `${draft.kind} rule`,
    kind: draft.kind,
    stream_id: draft.stream_id,
    brands: draft.brands
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b),
    duration_s: number(draft.duration_s) ?? 0,
    zone,
    min_confidence: number(draft.min_confidence),
    cooldown_s: number(draft.cooldown_s),
    webhook_url: draft.webhook_url.trim() || null,
    target_s: number(draft.target_s) ?? null,
    period_s: number(draft.period_s) ?? null,
    conditions: draft.conditions
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c) as AlertRuleCreate['conditions'],
  };
  const others = (draft.member_ids ?? []).filter((id) => id !== draft.stream_id);
  if (draft.kind === 'pacing' && others.length) {
    // A set of streams: screen time summed over the members, over wall-clock time.
    rule.stream_ids = [draft.stream_id, ...others];
    const start = draft.period_start?.trim();
    if (start) {
      const at = new Date(start);
      if (Number.isNaN(at.getTime())) {
        return 'the period start is not a date and time';
      }
      rule.period_start_at = at.toISOString();
    }
  }
  return rule;
}

/**
 * Alerts: the live list (filter by stream, kind, state; acknowledge), and the rules that raise
 * them (create, delete). New and resolved alerts arrive through the notifier and reload the list.
 */
@Component({
  selector: 'app-alerts-page',
  imports: [FormsModule, DatePipe, ErrorBanner, ZoneDrawer],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h1>Alerts</h1>
    <app-error-banner [message]="error()" [retryable]="true" (retry)="load()" />
    <section class="card stack" aria-label="Alert filters">
      <div class="row">
        <label
          >Stream
          <select [(ngModel)]="query.stream_id" (ngModelChange)="load()" name="f-stream">
            <option [ngValue]="undefined">All</option>
            @for (s of streams(); track s.id) {
              <option [ngValue]="s.id">{{ s.name }}</option>
            }
          </select>
        </label>
        <label
          >Kind
          <select [(ngModel)]="query.kind" (ngModelChange)="load()" name="f-kind">
            <option [ngValue]="undefined">All</option>
            @for (k of kinds; track k) {
              <option [ngValue]="k">{{ k }}</option>
            }
          </select>
        </label>
        <label
          >State
          <select [(ngModel)]="query.status" (ngModelChange)="load()" name="f-status">
            <option [ngValue]="undefined">All</option>
            <option ngValue="fired">Ongoing</option>
            <option ngValue="resolved">Resolved</option>
          </select>
        </label>
      </div>
    </section>
    <section class="card" aria-label="Alerts">
      @if (alerts().length === 0) {
        <p class="empty">No alerts.</p>
      } @else {
        <table data-testid="alerts-table">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Stream</th>
              <th>State</th>
              <th>Fired</th>
              <th>What</th>
              <th>Webhook</th>
              <th><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            @for (a of alerts(); track a.alert_id) {
              <tr [attr.data-testid]="'alert-' + a.alert_id">
                <td>
                  {{ a.rule_name }} <span class="muted">({{ a.kind }})</span>
                </td>
                <td class="mono">{{ streamName(a.stream_id) }}</td>
                <td [attr.data-testid]="'alert-status-' + a.alert_id">
                  {{ a.status === 'fired' ? 'ongoing' : 'resolved' }}
                </td>
                <td class="muted">{{ a.fired_at ? (a.fired_at | date: 'medium') : '–' }}</td>
                <td>{{ describe(a) }}</td>
                <td class="muted">{{ deliveryOf(a) }}</td>
                <td class="actions">
                  @if (a.acknowledged_at) {
                    <span class="muted">acknowledged</span>
                  } @else {
                    <button type="button" (click)="acknowledge(a)">Acknowledge</button>
                  }
                </td>
              </tr>
            }
          </tbody>
        </table>
      }
    </section>
    <section class="card stack" aria-label="Rules">
      <h2>Rules</h2>
      <form class="stack" (ngSubmit)="create()" data-testid="rule-form">
        <div class="row">
          <label>Name <input name="name" data-testid="rule-name" [(ngModel)]="draft.name" /></label>
          <label
            >Kind
            <select name="kind" data-testid="rule-kind" [(ngModel)]="draft.kind">
              @for (k of kinds; track k) {
                <option [ngValue]="k">{{ k }}</option>
              }
            </select>
          </label>
          <label
            >Stream
            <select name="stream" data-testid="rule-stream" [(ngModel)]="draft.stream_id" required>
              @for (s of streams(); track s.id) {
                <option [ngValue]="s.id">{{ s.name }}</option>
              }
            </select>
          </label>
          <label
            >Brands
            <input
              name="brands"
              data-testid="rule-brands"
              [(ngModel)]="draft.brands"
              placeholder="acme, zenith"
          /></label>
          <label
            >Seconds
            <input
              name="duration"
              data-testid="rule-seconds"
              [(ngModel)]="draft.duration_s"
              inputmode="decimal"
          /></label>
        </div>
        <div class="row">
          <label
            >Zone
            <input
              name="zone"
              data-testid="rule-zone"
              [(ngModel)]="draft.zone"
              placeholder="draw below, or 0.5,0 1,0 1,1 0.5,1"
          /></label>
          <label
            >Min confidence
            <input name="conf" [(ngModel)]="draft.min_confidence" inputmode="decimal"
          /></label>
          <label
            >Cooldown s <input name="cooldown" [(ngModel)]="draft.cooldown_s" inputmode="decimal"
          /></label>
          <label
            >Webhook <input name="webhook" [(ngModel)]="draft.webhook_url" placeholder="https://…"
          /></label>
          @if (draft.kind === 'picture') {
            <label
              >Flags
              <input name="conditions" [(ngModel)]="draft.conditions" placeholder="dark, still"
            /></label>
          }
          @if (draft.kind === 'pacing') {
            <label
              >Target s <input name="target" [(ngModel)]="draft.target_s" inputmode="decimal"
            /></label>
            <label
              >Period s <input name="period" [(ngModel)]="draft.period_s" inputmode="decimal"
            /></label>
            <label
              >Summed with
              <select
                multiple
                name="members"
                data-testid="rule-members"
                [(ngModel)]="draft.member_ids"
                title="Pacing over a set of streams: the brand's screen time on every chosen stream adds up (each feed its own audience), over wall-clock time"
              >
                @for (s of streams(); track s.id) {
                  @if (s.id !== draft.stream_id) {
                    <option [ngValue]="s.id">{{ s.name }}</option>
                  }
                }
              </select>
            </label>
            @if (draft.member_ids?.length) {
              <label
                >Period starts
                <input
                  type="datetime-local"
                  name="period-start"
                  data-testid="rule-period-start"
                  [(ngModel)]="draft.period_start"
                  title="Empty: when the rule is created"
              /></label>
            }
          }
          <button type="submit">Create rule</button>
        </div>
        @if (draft.kind === 'appearance' && draft.stream_id) {
          <app-zone-drawer [streamId]="draft.stream_id" [(zone)]="draft.zone" />
        }
      </form>
      @if (secret(); as shown) {
        <p class="secret" data-testid="webhook-secret" role="status">
          Webhook signing secret of “{{ shown.name }}” (version {{ shown.version }}), shown once:
          <code>{{ shown.secret }}</code>. Verify <code>X-Sightline-Signature</code> with it.
        </p>
      }
      <ul data-testid="rules-list">
        @for (r of rules(); track r.id) {
          <li>
            {{ r.name }} · {{ r.kind }} · {{ ruleStreams(r) }}
            @if (r.brands?.length) {
              · {{ r.brands?.join(', ') }}
            }
            @if (r.webhook_url) {
              <button
                type="button"
                (click)="rotateSecret(r)"
                [attr.aria-label]="'New webhook secret for rule ' + r.name"
              >
                New webhook secret
              </button>
            }
            <button type="button" (click)="remove(r)" [attr.aria-label]="'Delete rule ' + r.name">
              Delete
            </button>
          </li>
        }
      </ul>
    </section>
  `,
})
export class AlertsPage implements OnInit {
  private readonly api = inject(AlertsApi);
  private readonly streamsApi = inject(StreamsApi);
  private readonly feed = inject(LiveFeed);
  private readonly destroyRef = inject(DestroyRef);

  protected readonly kinds = ALERT_KINDS;
  protected readonly alerts = signal<AlertSummary[]>([]);
  protected readonly rules = signal<AlertRule[]>([]);
  protected readonly streams = signal<StreamSummary[]>([]);
  protected readonly error = signal<string | null>(null);
  /** The last webhook secret answered (at creation or rotation): shown once, never listed. */
  protected readonly secret = signal<{ name: string; version: number; secret: string } | null>(
    null,
  );
  protected query: AlertQuery = {};
  protected draft: RuleDraft = { ...EMPTY_DRAFT };

  ngOnInit(): void {
    this.load();
    this.streamsApi.list().subscribe({
      next: (streams) => this.streams.set(streams),
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
    // Every stream's events while the screen is open; an alert frame reloads the list.
    this.destroyRef.onDestroy(this.feed.watch(['*']));
    // The pushed alert is shown at once; the list is reloaded a moment later, once results-api
    // has materialized it (the push can beat the database row).
    const pushed = this.feed.events.pipe(
      filter((event): event is LiveEvent<Alert> => event.type === 'alert'),
      takeUntilDestroyed(this.destroyRef),
    );
    pushed.subscribe((event) =>
      this.alerts.update((list) => mergePushed(list, event.payload, this.query)),
    );
    pushed.pipe(debounceTime(RELOAD_AFTER_PUSH_MS)).subscribe(() => this.load());
  }

  load(): void {
    this.api.list(this.query).subscribe({
      next: (alerts) => {
        this.alerts.set(alerts);
        this.error.set(null);
      },
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
    this.api.rules().subscribe({
      next: (rules) => this.rules.set(rules),
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  acknowledge(alert: AlertSummary): void {
    this.api.acknowledge(alert.alert_id, null).subscribe({
      next: (updated) =>
        this.alerts.update((list) =>
          list.map((a) => (a.alert_id === updated.alert_id ? updated : a)),
        ),
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  create(): void {
    const rule = ruleFromDraft(this.draft);
    if (typeof rule === 'string') {
      this.error.set(rule);
      return;
    }
    this.api.createRule(rule).subscribe({
      next: ({ webhook_secret, ...created }) => {
        this.rules.update((list) => [...list, created]);
        this.secret.set(
          created.webhook_url
            ? {
                name: created.name,
                version: created.webhook_secret_version,
                secret: webhook_secret,
              }
            : null,
        );
        this.draft = { ...EMPTY_DRAFT, stream_id: this.draft.stream_id };
        this.error.set(null);
      },
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  rotateSecret(rule: AlertRule): void {
    this.api.rotateWebhookSecret(rule.id).subscribe({
      next: (rotated) => {
        this.rules.update((list) =>
          list.map((r) =>
            r.id === rule.id ? { ...r, webhook_secret_version: rotated.version } : r,
          ),
        );
        this.secret.set({ name: rule.name, version: rotated.version, secret: rotated.secret });
      },
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  remove(rule: AlertRule): void {
    this.api.deleteRule(rule.id).subscribe({
      next: () => this.rules.update((list) => list.filter((r) => r.id !== rule.id)),
      error: (e: unknown) => this.error.set(describeApiError(e)),
    });
  }

  protected describe(alert: AlertSummary): string {
    return describeAlert(alert);
  }

  protected deliveryOf(alert: AlertSummary): string {
    const deliveries = alert.deliveries ?? [];
    return deliveries.map((d) => `${d.alert_status ?? ''} ${d.status}`.trim()).join(', ');
  }

  protected streamName(id: string): string {
    return this.streams().find((s) => s.id === id)?.name ?? id;
  }

  /** The rule's stream, or its set of streams joined with "+". */
  protected ruleStreams(rule: AlertRule): string {
    const ids = rule.stream_ids?.length ? rule.stream_ids : [rule.stream_id];
    return ids.map((id) => this.streamName(id)).join(' + ');
  }
}
