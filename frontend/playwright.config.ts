import { defineConfig } from '@playwright/test';
import path from 'node:path';

/**
 * End-to-end tests against the real running stack (results-api, notifier, ingest, detectors on
 * the local platform) through the built dashboard served by scripts/serve.mjs. Debian's Chromium
 * is used: browser downloads cannot be reached here, so `playwright install` is never run.
 */
const artifacts =
  process.env['SIGHTLINE_ARTIFACTS_DIR'] ??
  path.resolve(__dirname, '..', 'test-artifacts', 'dashboard');
const baseURL = process.env['SIGHTLINE_DASHBOARD_URL'] ?? 'http://127.0.0.1:4200';

export default defineConfig({
  testDir: './e2e',
  outputDir: path.join(artifacts, 'results'),
  timeout: 300_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { outputFolder: path.join(artifacts, 'report'), open: 'never' }]],
  use: {
    baseURL,
    viewport: { width: 1280, height: 720 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox'],
    },
  },
  webServer: {
    command: 'node scripts/serve.mjs',
    url: baseURL,
    reuseExistingServer: true,
    timeout: 30_000,
  },
});
