import { expect, test } from '@playwright/test';
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { answers, apiToken, apiUrl, artifactsDir, makeMedia, pushRtmp } from './stack';

/**
 * The newcomer's flow (#19): open the link `make run` printed, see the streams without pasting a
 * token, open a stream with a known logo, see its brand lane on the timeline, open the Sponsor
 * report and download the PDF.
 */
test.describe('newcomer: tokened link → streams → brand lane → report → PDF', () => {
  let token = '';
  let ffmpeg: ChildProcess | null = null;
  const created: string[] = [];

  test.beforeAll(async () => {
    const needed = [
      `${apiUrl}/readyz`,
      `${process.env['SIGHTLINE_INGEST_URL'] ?? 'http://127.0.0.1:8010'}/readyz`,
      `${process.env['SIGHTLINE_DETECTOR_LOGO_URL'] ?? 'http://127.0.0.1:8020'}/readyz`,
    ];
    const down = [];
    for (const url of needed) if (!(await answers(url))) down.push(url);
    test.skip(down.length > 0, `not running: ${down.join(', ')}`);
    token = apiToken();
  });

  test.afterAll(async () => {
    ffmpeg?.kill('SIGINT');
    for (const resource of created) {
      await fetch(`${apiUrl}${resource}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${token}` },
      });
    }
  });

  async function api(method: string, route: string, body?: BodyInit, json = true) {
    const response = await fetch(`${apiUrl}${route}`, {
      method,
      body,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(json && body ? { 'Content-Type': 'application/json' } : {}),
      },
    });
    expect(response.ok, `${method} ${route}: ${response.status}`).toBe(true);
    return (await response.json()) as Record<string, unknown>;
  }

  test('the printed link signs in; the brand has a lane; the report downloads as a PDF', async ({
    page,
  }) => {
    const brand = `nc${Date.now() % 1_000_000}`;
    const media = makeMedia(mkdtempSync(path.join(os.tmpdir(), 'sightline-nc-')), 'WYVERN');
    // What `make run` sets up before a newcomer arrives: a logo and a stream showing it.
    const form = new FormData();
    form.set('brand', brand);
    form.set('image', new Blob([readFileSync(media.logo)], { type: 'image/png' }), 'logo.png');
    const logo = await api('POST', '/api/logos', form, false);
    created.push(`/api/logos/${logo['id']}`);
    const stream = await api(
      'POST',
      '/api/streams',
      JSON.stringify({
        name: `newcomer ${brand}`,
        source: { kind: 'rtmp' },
        policy: { detectors: ['logo'] },
      }),
    );
    const id = String(stream['id']);
    created.push(`/api/streams/${id}`);
    ffmpeg = pushRtmp(media.scene, String(stream['publish_url']), 90);

    await test.step('the link make run prints signs the browser in and leaves the address bar', async () => {
      await page.goto(`/#token=${encodeURIComponent(token)}`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Streams');
      expect(page.url()).not.toContain('token');
      await expect(page.getByRole('link', { name: `newcomer ${brand}` })).toBeVisible();
    });

    await test.step('the stream view has a lane for the brand', async () => {
      await page.getByRole('link', { name: `newcomer ${brand}` }).click();
      await expect(page.locator(`[data-lane="logo:${brand}"]`)).toBeVisible({ timeout: 240_000 });
      await page.screenshot({ path: path.join(artifactsDir, '20-newcomer-timeline.png') });
    });

    await test.step('the Sponsor report shows the brand and downloads as a PDF', async () => {
      await page.getByRole('link', { name: 'Sponsor report' }).click();
      await page.getByTestId('report-streams').getByLabel(`newcomer ${brand}`).check();
      await page.getByRole('button', { name: 'Show report' }).click();
      await expect(page.getByTestId('report-summary')).toContainText(brand, { timeout: 60_000 });
      await page.screenshot({ path: path.join(artifactsDir, '21-newcomer-report.png') });
      const download = page.waitForEvent('download');
      await page.getByTestId('report-pdf').click();
      const file = await (await download).path();
      expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    });
  });
});
