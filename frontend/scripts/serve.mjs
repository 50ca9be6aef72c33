// Serves the built dashboard and proxies /api to results-api and /ws (WebSocket) to the notifier,
// so the browser talks to one origin: no CORS, and the token never goes to a third host.
// Node built-ins only. Env: SIGHTLINE_DASHBOARD_HOST/PORT (127.0.0.1:4200), SIGHTLINE_API_URL
// (http://127.0.0.1:8000), SIGHTLINE_NOTIFIER_URL (http://127.0.0.1:8001), SIGHTLINE_DASHBOARD_DIR.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(
  process.env.SIGHTLINE_DASHBOARD_DIR ??
    path.join(here, '..', 'dist', 'sightline-dashboard', 'browser'),
);
const host = process.env.SIGHTLINE_DASHBOARD_HOST ?? '127.0.0.1';
const port = Number(process.env.SIGHTLINE_DASHBOARD_PORT ?? 4200);
const api = new URL(process.env.SIGHTLINE_API_URL ?? 'http://127.0.0.1:8000');
const notifier = new URL(process.env.SIGHTLINE_NOTIFIER_URL ?? 'http://127.0.0.1:8001');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain',
  '.map': 'application/json',
};

function log(event, fields = {}) {
  process.stdout.write(JSON.stringify({ service: 'dashboard', event, ...fields }) + '\n');
}

function targetFor(url) {
  if (url.startsWith('/api/') || url === '/api') return api;
  if (url.startsWith('/ws')) return notifier;
  return null;
}

function proxyRequest(req, res, target) {
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    log('proxy_error', { url: req.url, target: target.host, reason: error.message });
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        detail: `${target.host} is not reachable (${error.code ?? error.message})`,
      }),
    );
  });
  req.pipe(upstream);
}

function serveStatic(req, res) {
  const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = path.join(root, path.normalize(pathname));
  if (!file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  // Client-side routes (/streams/abc) get index.html; hashed assets are cached for a year.
  const isAsset = existsSync(file) && statSync(file).isFile();
  if (!isAsset) file = path.join(root, 'index.html');
  const ext = path.extname(file);
  res.writeHead(200, {
    'content-type': TYPES[ext] ?? 'application/octet-stream',
    'cache-control':
      isAsset && /-[A-Z0-9]{8}\.(js|css)$/.test(file)
        ? 'public, max-age=31536000, immutable'
        : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

const server = http.createServer((req, res) => {
  const target = targetFor(req.url ?? '/');
  if (target) proxyRequest(req, res, target);
  else if (req.method === 'GET' || req.method === 'HEAD') serveStatic(req, res);
  else res.writeHead(405).end();
});

// WebSocket: forward the upgrade request, then splice the two sockets together.
server.on('upgrade', (req, socket, head) => {
  const target = targetFor(req.url ?? '/');
  if (!target) {
    socket.destroy();
    return;
  }
  const upstream = http.request({
    host: target.hostname,
    port: target.port,
    path: req.url,
    headers: { ...req.headers, host: target.host },
  });
  upstream.on('upgrade', (answer, upstreamSocket, upstreamHead) => {
    const lines = [`HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}`];
    for (let i = 0; i < answer.rawHeaders.length; i += 2)
      lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    if (upstreamHead.length) socket.write(upstreamHead);
    if (head.length) upstreamSocket.write(head);
    upstreamSocket.pipe(socket).pipe(upstreamSocket);
    upstreamSocket.on('error', () => socket.destroy());
    socket.on('error', () => upstreamSocket.destroy());
  });
  upstream.on('response', (answer) => {
    // The notifier refused the upgrade (e.g. 401): pass its answer on and close.
    socket.end(
      `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\nconnection: close\r\n\r\n`,
    );
  });
  upstream.on('error', (error) => {
    log('proxy_error', { url: req.url, target: target.host, reason: error.message });
    socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
  });
  upstream.end();
});

if (!existsSync(path.join(root, 'index.html'))) {
  log('not_built', { root, hint: 'run frontend/scripts/serve.sh, which builds first' });
  process.exit(1);
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
server.listen(port, host, () => {
  log('listening', {
    url: `http://${host}:${port}/`,
    api: api.origin,
    notifier: notifier.origin,
    root,
  });
  process.stdout.write(`Sightline dashboard: http://${host}:${port}/\n`);
});
