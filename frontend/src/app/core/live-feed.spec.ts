import { TestBed } from '@angular/core/testing';
import { LiveEvent } from './live-events';
import { LiveFeed, WEBSOCKET_FACTORY } from './live-feed';
import { SettingsStore } from './settings';
import { FakeSocket } from '../testing/fake-socket';

describe('LiveFeed', () => {
  let sockets: FakeSocket[];

  function setUp(token = 'tok'): LiveFeed {
    localStorage.clear();
    sockets = [];
    TestBed.configureTestingModule({
      providers: [
        {
          provide: WEBSOCKET_FACTORY,
          useValue: (url: string, protocols: string[]) =>
            sockets[sockets.push(new FakeSocket(url, protocols)) - 1],
        },
      ],
    });
    TestBed.inject(SettingsStore).save({ token, apiBase: '', wsBase: 'ws://notifier.test' });
    const feed = TestBed.inject(LiveFeed);
    TestBed.tick();
    return feed;
  }

  afterEach(() => vi.useRealTimers());

  it('does not connect without a token', () => {
    const feed = setUp('');
    expect(sockets).toHaveLength(0);
    expect(feed.state()).toBe('offline');
  });

  it('subscribes to watched streams once connected and emits pushed events', () => {
    const feed = setUp();
    const received: LiveEvent[] = [];
    feed.events.subscribe((event) => received.push(event));
    feed.watch(['s1', 's2']);
    expect(sockets[0].url).toBe('ws://notifier.test/ws');
    expect(sockets[0].protocols).toEqual(['sightline.v1', 'bearer.tok']);
    sockets[0].open();
    expect(feed.state()).toBe('connected');
    expect(sockets[0].sent).toEqual([{ op: 'subscribe', streams: ['s1', 's2'] }]);
    sockets[0].push({ type: 'detection', event_id: 'e1', stream_id: 's1', payload: {} });
    expect(received.map((e) => e.event_id)).toEqual(['e1']);
  });

  it('subscribes and unsubscribes per stream, reference counted', () => {
    const feed = setUp();
    sockets[0].open();
    const stopA = feed.watch(['s1']);
    const stopB = feed.watch(['s1']);
    stopA();
    expect(sockets[0].sent).toEqual([{ op: 'subscribe', streams: ['s1'] }]);
    stopB();
    expect(sockets[0].sent).toContainEqual({ op: 'unsubscribe', streams: ['s1'] });
  });

  it('reconnects with back-off and resumes from the last event id', () => {
    vi.useFakeTimers();
    const feed = setUp();
    feed.watch(['s1']);
    sockets[0].open();
    sockets[0].push({ type: 'detection', event_id: 'e7', stream_id: 's1', payload: {} });
    sockets[0].drop();
    expect(feed.state()).toBe('reconnecting');
    expect(feed.nextRetryAt()).not.toBeNull();
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
    sockets[1].open();
    expect(sockets[1].sent).toEqual([{ op: 'subscribe', streams: ['s1'], last_event_id: 'e7' }]);
  });

  it('stops retrying when the notifier refuses the token', () => {
    vi.useFakeTimers();
    const feed = setUp();
    sockets[0].drop(4001);
    vi.advanceTimersByTime(60_000);
    expect(feed.state()).toBe('refused');
    expect(sockets).toHaveLength(1);
  });
});
