import { DestroyRef, Injectable, InjectionToken, effect, inject, signal } from '@angular/core';
import { Observable, Subject } from 'rxjs';
import { backoffDelay } from './backoff';
import { ClientOperation, ControlFrame, LiveEvent } from './live-events';
import { SettingsStore } from './settings';

export type ConnectionState = 'offline' | 'connecting' | 'connected' | 'reconnecting' | 'refused';

/** Opens a WebSocket offering `protocols`; a token so that unit tests can hand in a fake. */
export const WEBSOCKET_FACTORY = new InjectionToken<
  (url: string, protocols: string[]) => WebSocket
>('WEBSOCKET_FACTORY', {
  providedIn: 'root',
  factory: () => (url: string, protocols: string[]) => new WebSocket(url, protocols),
});

/** Close codes with which the notifier refuses a token: reconnecting would not help. */
const REFUSED_CODES = new Set([1008, 4001, 4003]);

/**
 * One WebSocket to the notifier for the whole app. Screens `watch` stream ids (reference counted)
 * and read `events`; the connection reconnects with exponential back-off and, on reconnect, asks
 * for what it missed with the last event id it saw.
 */
@Injectable({ providedIn: 'root' })
export class LiveFeed {
  private readonly settings = inject(SettingsStore);
  private readonly openSocket = inject(WEBSOCKET_FACTORY);
  private readonly events$ = new Subject<LiveEvent>();
  private readonly control$ = new Subject<ControlFrame>();
  private readonly watchers = new Map<string, number>();
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private lastEventId: string | null = null;

  readonly state = signal<ConnectionState>('offline');
  /** When the next reconnect attempt happens (epoch ms), for the status badge. */
  readonly nextRetryAt = signal<number | null>(null);
  readonly lastError = signal<string | null>(null);
  readonly events: Observable<LiveEvent> = this.events$.asObservable();
  /** Frames about the connection (`dropped`, `resync`, ...): a cue to reload from the API. */
  readonly control: Observable<ControlFrame> = this.control$.asObservable();

  constructor() {
    // New token or URL: drop the old connection and start again with the new settings.
    effect(() => {
      this.settings.settings();
      this.restart();
    });
    inject(DestroyRef).onDestroy(() => this.close());
  }

  /** Receive events of these streams until the returned function is called. */
  watch(streamIds: string[]): () => void {
    const added = streamIds.filter((id) => {
      const count = this.watchers.get(id) ?? 0;
      this.watchers.set(id, count + 1);
      return count === 0;
    });
    if (added.length) {
      this.send({ op: 'subscribe', streams: nonEmpty(added) });
    }
    return () => this.unwatch(streamIds);
  }

  /** Reconnect now instead of waiting for the back-off. */
  reconnectNow(): void {
    this.restart();
  }

  private unwatch(streamIds: string[]): void {
    const removed = streamIds.filter((id) => {
      const count = (this.watchers.get(id) ?? 0) - 1;
      if (count <= 0) {
        this.watchers.delete(id);
        return true;
      }
      this.watchers.set(id, count);
      return false;
    });
    if (removed.length) {
      this.send({ op: 'unsubscribe', streams: nonEmpty(removed) });
    }
  }

  private restart(): void {
    this.close();
    this.attempt = 0;
    if (this.settings.hasToken()) {
      this.connect();
    }
  }

  private connect(): void {
    this.state.set(this.attempt === 0 ? 'connecting' : 'reconnecting');
    this.nextRetryAt.set(null);
    let socket: WebSocket;
    try {
      socket = this.openSocket(this.settings.wsUrl(), this.settings.wsProtocols());
    } catch (error) {
      this.lastError.set(String(error));
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.state.set('connected');
      this.lastError.set(null);
      const streams = [...this.watchers.keys()];
      if (streams.length) {
        this.send({
          op: 'subscribe',
          streams: nonEmpty(streams),
          ...(this.lastEventId ? { last_event_id: this.lastEventId } : {}),
        });
      }
    };
    socket.onmessage = (message: MessageEvent) => this.receive(message.data);
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      if (REFUSED_CODES.has(event.code)) {
        this.state.set('refused');
        this.lastError.set(event.reason || 'The notifier refused the token.');
        return;
      }
      this.lastError.set(event.reason || `connection closed (${event.code})`);
      this.scheduleRetry();
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      return;
    }
    let frame: LiveEvent | ControlFrame;
    try {
      frame = JSON.parse(data) as LiveEvent | ControlFrame;
    } catch {
      return;
    }
    if (isEventFrame(frame)) {
      this.lastEventId = frame.event_id;
      this.events$.next(frame);
    } else if (frame.type) {
      this.control$.next(frame);
    }
  }

  private scheduleRetry(): void {
    const delay = backoffDelay(this.attempt++);
    this.state.set('reconnecting');
    this.nextRetryAt.set(Date.now() + delay);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private send(message: ClientOperation): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  private close(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.state.set('offline');
    this.nextRetryAt.set(null);
  }
}

/** The frame schema wants at least one stream; callers check for emptiness first. */
function nonEmpty(streams: string[]): ClientOperation['streams'] {
  return streams as ClientOperation['streams'];
}

function isEventFrame(frame: LiveEvent | ControlFrame): frame is LiveEvent {
  return 'event_id' in frame && Boolean(frame.event_id) && Boolean(frame.stream_id);
}
