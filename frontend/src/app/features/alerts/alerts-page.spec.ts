import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Subject } from 'rxjs';
import { LiveFeed } from '../../core/live-feed';
import { parseZone } from './alert-format';
import { AlertsPage, mergePushed, ruleFromDraft } from './alerts-page';

describe('Alerts', () => {
  it('parses a typed zone and says what is wrong with a bad one', () => {
    expect(parseZone('')).toBeNull();
    expect(parseZone('0.5,0 1,0 1,1')).toEqual([
      { x: 0.5, y: 0 },
      { x: 1, y: 0 },
      { x: 1, y: 1 },
    ]);
    expect(parseZone('0,0 1,1')).toContain('at least 3');
    expect(parseZone('0,0 2,1 1,1')).toContain('0 to 1');
  });

  it('turns the form into the API body', () => {
    const rule = ruleFromDraft({
      name: 'acme',
      kind: 'appearance',
      stream_id: 's1',
      brands: 'acme, zenith',
      duration_s: '10',
      zone: '',
      min_confidence: '',
      cooldown_s: '30',
      webhook_url: ' https://hooks.example/x ',
      target_s: '',
      period_s: '',
      conditions: '',
    });
    expect(rule).toMatchObject({
      brands: ['acme', 'zenith'],
      duration_s: 10,
      cooldown_s: 30,
      zone: null,
      webhook_url: 'https://hooks.example/x',
    });
  });

  it('sends a pacing rule over several streams with the first stream leading the set', () => {
    const draft = {
      name: 'acme on both feeds',
      kind: 'pacing' as const,
      stream_id: 's1',
      brands: 'acme',
      duration_s: '',
      zone: '',
      min_confidence: '',
      cooldown_s: '',
      webhook_url: '',
      target_s: '300',
      period_s: '5400',
      conditions: '',
    };
    expect(ruleFromDraft({ ...draft, member_ids: ['s2', 's1', 's3'] })).toMatchObject({
      stream_id: 's1',
      stream_ids: ['s1', 's2', 's3'],
      target_s: 300,
      period_s: 5400,
    });
    const kickoff = ruleFromDraft({
      ...draft,
      member_ids: ['s2'],
      period_start: '2026-12-06T20:00',
    }) as { period_start_at: string };
    expect(kickoff.period_start_at).toBe(new Date('2026-12-06T20:00').toISOString());
    expect(ruleFromDraft({ ...draft, member_ids: ['s2'], period_start: 'soon' })).toContain(
      'not a date',
    );
    expect(ruleFromDraft({ ...draft, member_ids: [] })).not.toHaveProperty('stream_ids');
    expect(ruleFromDraft({ ...draft, kind: 'appearance', member_ids: ['s2'] })).not.toHaveProperty(
      'stream_ids',
    );
  });

  it('asks for ongoing unacknowledged alerts with query parameters', async () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    const backend = TestBed.inject(HttpTestingController);
    const { AlertsApi } = await import('../../api/alerts-api');
    TestBed.inject(AlertsApi).list({ status: 'fired', acknowledged: false }).subscribe();
    const req = backend.expectOne((r) => r.url === '/api/alerts');
    expect(req.request.params.get('status')).toBe('fired');
    expect(req.request.params.get('acknowledged')).toBe('false');
    req.flush([]);
    backend.verify();
  });

  it('shows a pushed alert at once and completes it when it resolves, within the filters', () => {
    const fired = {
      alert_id: 'a1',
      rule_id: 'r1',
      rule_name: 'rival',
      kind: 'competitor' as const,
      stream_id: 's1',
      status: 'fired' as const,
      brand: 'acme',
      at: '2026-01-01T00:00:00Z',
      evidence: { media_ts: 3 },
    };
    const listed = mergePushed([], fired, {});
    expect(listed.map((a) => [a.alert_id, a.status, a.fired_at])).toEqual([
      ['a1', 'fired', '2026-01-01T00:00:00Z'],
    ]);
    const resolved = mergePushed(
      listed,
      { ...fired, status: 'resolved', at: '2026-01-01T00:00:09Z' },
      {},
    );
    expect(resolved).toHaveLength(1);
    expect(resolved[0].status).toBe('resolved');
    expect(resolved[0].fired_at).toBe('2026-01-01T00:00:00Z');
    expect(mergePushed([], fired, { stream_id: 'other' })).toEqual([]);
  });

  it('shows a webhook secret once when a rule is created and a new one when it is rotated', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: LiveFeed, useValue: { watch: () => () => undefined, events: new Subject() } },
      ],
    });
    const backend = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(AlertsPage);
    await fixture.whenStable();
    backend.expectOne((r) => r.url === '/api/alerts').flush([]);
    backend.expectOne('/api/rules').flush([]);
    backend.expectOne((r) => r.url === '/api/streams').flush([]);
    const page = fixture.componentInstance as unknown as {
      draft: Record<string, string>;
      create(): void;
    };
    page.draft = {
      ...page.draft,
      name: 'rival',
      kind: 'competitor',
      stream_id: 's1',
      brands: 'zenith',
      webhook_url: 'https://hooks.example/x',
    };
    page.create();
    const rule = {
      id: 'r1',
      name: 'rival',
      kind: 'competitor',
      stream_id: 's1',
      brands: ['zenith'],
      webhook_url: 'https://hooks.example/x',
      webhook_secret_version: 1,
    };
    backend
      .expectOne({ method: 'POST', url: '/api/rules' })
      .flush({ ...rule, webhook_secret: 'aaa111' });
    await fixture.whenStable();
    const shown = () => fixture.nativeElement.querySelector('[data-testid=webhook-secret]');
    expect(shown().textContent).toContain('aaa111');
    expect(
      fixture.nativeElement.querySelector('[data-testid=rules-list]').textContent,
    ).not.toContain('aaa111');

    const rotate = fixture.nativeElement.querySelector(
      'button[aria-label="New webhook secret for rule rival"]',
    ) as HTMLButtonElement;
    rotate.click();
    backend
      .expectOne({ method: 'POST', url: '/api/rules/r1/webhook-secret' })
      .flush({ rule_id: 'r1', version: 2, secret: 'bbb222' });
    await fixture.whenStable();
    expect(shown().textContent).toContain('bbb222');
    expect(shown().textContent).toContain('version 2');
    expect(shown().textContent).not.toContain('aaa111');
    backend.match('/api/streams/s1/snapshot'); // the zone drawer's still of the next draft
    backend.verify();
  });
});
