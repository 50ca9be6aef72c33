import { Injectable, computed, signal } from '@angular/core';

/** What the operator pastes on the settings screen; kept in localStorage across reloads. */
export interface ConnectionSettings {
  /** API token sent as `Authorization: Bearer <token>`. */
  token: string;
  /** Base URL of results-api; empty means this origin (the dev server or serve.mjs proxies /api). */
  apiBase: string;
  /** Base URL of the notifier's WebSocket; empty means ws(s)://this origin/ws (proxied). */
  wsBase: string;
}

export const SETTINGS_STORAGE_KEY = 'sightline.settings';

const EMPTY: ConnectionSettings = { token: '', apiBase: '', wsBase: '' };

/** Holds the connection settings as a signal so every screen reacts when they change. */
@Injectable({ providedIn: 'root' })
export class SettingsStore {
  private readonly state = signal<ConnectionSettings>(readStored());

  readonly settings = this.state.asReadonly();
  readonly hasToken = computed(() => this.state().token.trim().length > 0);

  save(next: ConnectionSettings): void {
    const clean: ConnectionSettings = {
      token: next.token.trim(),
      apiBase: next.apiBase.trim().replace(/\/+$/, ''),
      wsBase: next.wsBase.trim().replace(/\/+$/, ''),
    };
    localStorage.setItem(SETTINGS_STORAGE_KEY, JSON.stringify(clean));
    this.state.set(clean);
  }

  /** Absolute or origin-relative URL of an API path such as `/api/streams`. */
  apiUrl(path: string): string {
    return `${this.state().apiBase}${path}`;
  }

  /** URL of the notifier WebSocket; the token travels in `wsProtocols`, never in the URL. */
  wsUrl(): string {
    const base = this.state().wsBase || defaultWsBase();
    return `${base}/ws`;
  }

  /**
   * The subprotocols the WebSocket offers: the notifier's protocol and the token as
   * `bearer.<token>` (a browser cannot set an Authorization header on a WebSocket, and a token in
   * the URL would end up in the access logs of every proxy on the way).
   */
  wsProtocols(): string[] {
    return [WS_PROTOCOL, `bearer.${this.state().token}`];
  }
}

/** The notifier's protocol, which it selects when the connection opens. */
export const WS_PROTOCOL = 'sightline.v1';

function defaultWsBase(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}`;
}

function readStored(): ConnectionSettings {
  try {
    const raw = localStorage.getItem(SETTINGS_STORAGE_KEY);
    return raw ? { ...EMPTY, ...(JSON.parse(raw) as Partial<ConnectionSettings>) } : EMPTY;
  } catch {
    // A corrupt entry must not leave the operator with a blank page: start from empty settings.
    return EMPTY;
  }
}
