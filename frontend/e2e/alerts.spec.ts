import { Page, expect, test } from '@playwright/test';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { answers, apiToken, apiUrl, artifactsDir, makeMedia, pushRtmp } from './stack';

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });

/** The operator's way in: the token saved on the Settings screen. */
async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/settings');
  await page.getByTestId('token').fill(token);
  await page.getByRole('button', { name: 'Save' }).click();
}

test.describe('alerts: a rule made in the dashboard fires live on a pushed stream', () => {
  let token = '';
  let ffmpeg: ChildProcess | null = null;
  const created: string[] = [];

  test.beforeAll(async () => {
    const needed = {
      'results-api': `${apiUrl}/readyz`,
      notifier: `${process.env['SIGHTLINE_NOTIFIER_URL'] ?? 'http://127.0.0.1:8001'}/readyz`,
      ingest: `${process.env['SIGHTLINE_INGEST_URL'] ?? 'http://127.0.0.1:8010'}/readyz`,
      'detector-logo': `${process.env['SIGHTLINE_DETECTOR_LOGO_URL'] ?? 'http://127.0.0.1:8020'}/readyz`,
      alerts: `${process.env['SIGHTLINE_ALERTS_URL'] ?? 'http://127.0.0.1:8040'}/readyz`,
    };
    const down = [];
    for (const [name, url] of Object.entries(needed)) {
      if (!(await answers(url))) down.push(name);
    }
    test.skip(down.length > 0, `not running: ${down.join(', ')}`);
    token = apiToken();
  });

  test.afterAll(async () => {
    ffmpeg?.kill('SIGINT');
    for (const resource of created.reverse()) {
      await fetch(`${apiUrl}${resource}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${token}` },
      });
    }
  });

  test('create a competitor rule on the Alerts screen, push the stream, see the alert appear', async ({
    page,
  }) => {
    const brand = `e2ealert${Date.now() % 1_000_000}`;
    const media = makeMedia(mkdtempSync(path.join(os.tmpdir(), 'sightline-e2e-alert-')), 'HUMPY');
    const auth = { Authorization: `Bearer ${token}` };

    // The logo and the stream come from the API (their screens have their own tests).
    const form = new FormData();
    form.append('brand', brand);
    form.append('image', new Blob([readFileSync(media.logo)], { type: 'image/png' }), 'logo.png');
    const logo = await fetch(`${apiUrl}/api/logos`, { method: 'POST', headers: auth, body: form });
    expect(logo.status).toBe(201);
    created.push(`/api/logos/${((await logo.json()) as { id: string }).id}`);
    const streamResponse = await fetch(`${apiUrl}/api/streams`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `e2e alerts ${brand}`, source: { kind: 'rtmp' } }),
    });
    expect(streamResponse.status).toBe(201);
    const stream = (await streamResponse.json()) as { id: string; publish_url: string };
    created.push(`/api/streams/${stream.id}`);

    await signIn(page, token);
    await page.goto('/alerts');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Alerts');

    await test.step('create the rule in the form', async () => {
      const ruleForm = page.getByTestId('rule-form');
      await ruleForm.getByTestId('rule-name').fill(`rival ${brand}`);
      await ruleForm.getByTestId('rule-kind').selectOption('competitor');
      await ruleForm.getByTestId('rule-stream').selectOption({ label: `e2e alerts ${brand}` });
      await ruleForm.getByTestId('rule-brands').fill(brand);
      await ruleForm.getByTestId('rule-seconds').fill('0');
      const saved = page.waitForResponse(
        (r) => r.url().endsWith('/api/rules') && r.request().method() === 'POST',
      );
      await ruleForm.getByRole('button', { name: 'Create rule' }).click();
      const response = await saved;
      expect(response.status()).toBe(201);
      created.push(`/api/rules/${((await response.json()) as { id: string }).id}`);
      await expect(page.getByTestId('rules-list')).toContainText(`rival ${brand}`);
    });

    await test.step('push the stream: the alert appears without a reload', async () => {
      ffmpeg = pushRtmp(media.scene, stream.publish_url, 120);
      const table = page.getByTestId('alerts-table');
      await expect(table).toContainText(`rival ${brand}`, { timeout: 180_000 });
      await expect(page.getByTestId('alert-badge')).toBeVisible({ timeout: 30_000 });
      await shot(page, '30-alert-live');
    });
  });
});
