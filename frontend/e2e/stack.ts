import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Paths and URLs of the local stack the e2e test runs against. */
export const repoRoot = path.resolve(__dirname, '..', '..');
export const apiUrl = process.env['SIGHTLINE_API_URL'] ?? 'http://127.0.0.1:8000';
export const artifactsDir =
  process.env['SIGHTLINE_ARTIFACTS_DIR'] ?? path.join(repoRoot, 'test-artifacts', 'dashboard');
const python = path.join(repoRoot, '.venv', 'bin', 'python');
/** The local platform's state folder (`SIGHTLINE_STATE_DIR`, as devstack reads it). */
const stateDir = process.env['SIGHTLINE_STATE_DIR'] ?? path.join(repoRoot, '.state');

/** Whether a URL answers 2xx within a few seconds. */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** The platform's settings as written by `make up` (.state/platform.env). */
function platformEnv(): Record<string, string> {
  const file = path.join(stateDir, 'platform.env');
  if (!existsSync(file)) {
    return {};
  }
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * An API token: SIGHTLINE_E2E_TOKEN if set, else `make run`'s demo token, else a new one from the
 * operator CLI (`sightline token create`).
 */
export function apiToken(): string {
  const fromEnv = process.env['SIGHTLINE_E2E_TOKEN'];
  if (fromEnv) {
    return fromEnv;
  }
  const demo = path.join(stateDir, 'demo.json');
  if (existsSync(demo)) {
    const token = (JSON.parse(readFileSync(demo, 'utf8')) as { token?: string }).token;
    if (token) {
      return token;
    }
  }
  const out = execFileSync(
    python,
    ['-m', 'sightline_results_api.cli', 'token', 'create', '--name', `e2e-dashboard-${Date.now()}`],
    {
      env: { ...process.env, ...platformEnv() },
      encoding: 'utf8',
    },
  );
  return out.trim().split('\n').pop()!.trim();
}

/**
 * Draws a logo lettered `lettering` and a scene containing it (see fixtures/make_media.py);
 * returns their paths. The lettering is a fixed word per spec, not the spec's unique brand name:
 * a name drawn from the clock made every run's picture (and the OCR's reading of it) different,
 * so a run could fail on a picture no other run saw ("nc134507" read as a look-alike once).
 */
export function makeMedia(dir: string, lettering: string): { logo: string; scene: string } {
  execFileSync(python, [path.join(__dirname, 'fixtures', 'make_media.py'), dir, lettering], {
    stdio: 'inherit',
  });
  return { logo: path.join(dir, 'logo.png'), scene: path.join(dir, 'scene.bmp') };
}

/**
 * Publishes the scene as a live RTMP stream for `seconds` (real time, 15 fps, 2 s GOPs like a
 * camera would), the way OBS would with the URL and key the dashboard showed.
 */
export function pushRtmp(scene: string, publishUrl: string, seconds: number): ChildProcess {
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-re',
      '-loop',
      '1',
      '-framerate',
      '15',
      '-i',
      scene,
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=44100:cl=stereo',
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-pix_fmt',
      'yuv420p',
      '-g',
      '30',
      '-c:a',
      'aac',
      '-b:a',
      '64k',
      '-f',
      'flv',
      publishUrl,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  ffmpeg.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[ffmpeg] ${chunk}`));
  return ffmpeg;
}
