import { expect, test } from '@playwright/test';
import path from 'node:path';
import { answers, apiToken, apiUrl, artifactsDir } from './stack';

/**
 * The Storage screen against the real results-api: the object store's space and a stream's
 * stored video are shown, its retention typed in days is saved through the API, and a stretch
 * of it is pinned.
 */
test.describe('storage: space, video per stream, retention', () => {
  let token = '';

  test.beforeAll(async () => {
    test.skip(!(await answers(`${apiUrl}/readyz`)), `results-api is not ready at ${apiUrl}`);
    token = apiToken();
  });

  test('shows the store and a stream, and edits its retention', async ({ page }) => {
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const name = `e2e storage ${Date.now()}`;
    const created = await fetch(`${apiUrl}/api/streams`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name, source: { kind: 'rtmp' } }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    try {
      await page.goto('/settings');
      await page.getByTestId('token').fill(token);
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('link', { name: 'Storage' }).click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Storage');
      await expect(page.getByTestId('store-space')).toContainText(/used of .* free/s);
      await expect(page.getByTestId(`stored-${id}`)).toContainText('0 B');
      await expect(page.getByTestId(`storage-row-${id}`)).toContainText(name);

      await page.getByTestId(`video-days-${id}`).fill('7');
      await page.getByTestId(`results-days-${id}`).fill('180');
      const saved = page.waitForResponse(
        (r) => r.url().endsWith(`/api/streams/${id}`) && r.request().method() === 'PATCH',
      );
      await page.getByRole('button', { name: `Save retention of ${name}` }).click();
      expect((await saved).status()).toBe(200);
      await expect(page.getByTestId(`video-kept-${id}`)).toHaveText('7 days');
      await expect(page.getByTestId('storage-saved')).toContainText(name);
      await page.screenshot({ path: path.join(artifactsDir, '20-storage.png'), fullPage: true });

      const stream = (await (
        await fetch(`${apiUrl}/api/streams/${id}`, { headers: auth })
      ).json()) as { retention: { video_s: number | null; results_s: number | null } };
      expect(stream.retention).toEqual({ video_s: 604_800, results_s: 15_552_000 });
      await page.reload();
      await expect(page.getByTestId(`video-days-${id}`)).toHaveValue('7');

      // A stretch pinned as evidence is listed on the stream and in the API.
      await page.getByTestId(`pins-${id}`).click();
      await expect(page.getByTestId('pins-panel')).toContainText('Nothing pinned');
      await page.getByTestId('pin-from').fill('0');
      await page.getByTestId('pin-to').fill('10');
      await page.getByTestId('pin-reason').fill('sponsor evidence');
      await page.getByTestId('pin-add').click();
      await expect(page.getByTestId('pins-panel')).toContainText('0:00:00–0:00:10');
      await expect(page.getByTestId(`pins-${id}`)).toHaveText('1');
      const pins = (await (
        await fetch(`${apiUrl}/api/streams/${id}/pins`, { headers: auth })
      ).json()) as { from: number; to: number; reason: string }[];
      expect(pins.map((p) => [p.from, p.to, p.reason])).toEqual([[0, 10, 'sponsor evidence']]);

      // Emptied, the field follows the default again.
      await page.getByTestId(`video-days-${id}`).fill('');
      await page.getByRole('button', { name: `Save retention of ${name}` }).click();
      await expect(page.getByTestId(`video-days-${id}`)).toHaveAttribute(
        'placeholder',
        /^default: /,
      );
      await expect
        .poll(
          async () =>
            (
              (await (await fetch(`${apiUrl}/api/streams/${id}`, { headers: auth })).json()) as {
                retention: { video_s: number | null };
              }
            ).retention.video_s,
        )
        .toBeNull();
    } finally {
      await fetch(`${apiUrl}/api/streams/${id}`, { method: 'DELETE', headers: auth });
    }
  });
});
