import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Type } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { WEBSOCKET_FACTORY } from '../core/live-feed';
import { SettingsStore } from '../core/settings';
import { FakeSocket } from './fake-socket';

/** What a page test drives: the REST backend and every notifier socket the page opened. */
export interface PageTestBed {
  backend: HttpTestingController;
  sockets: FakeSocket[];
}

/**
 * Sets TestBed up for a routed page with a saved token, REST answered by the test and
 * WebSockets faked. `swap` replaces a child component the page imports (the video player, the
 * charts: jsdom has no media or canvas) before anything is instantiated, as TestBed requires.
 */
export function setUpPage(
  page: Type<unknown>,
  swap?: { remove: Type<unknown>; add: Type<unknown> },
): PageTestBed {
  localStorage.clear();
  const sockets: FakeSocket[] = [];
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      provideRouter([]),
      {
        provide: WEBSOCKET_FACTORY,
        useValue: (url: string, protocols: string[]) =>
          sockets[sockets.push(new FakeSocket(url, protocols)) - 1],
      },
    ],
  });
  if (swap) {
    TestBed.overrideComponent(page, {
      remove: { imports: [swap.remove] },
      add: { imports: [swap.add] },
    });
  }
  TestBed.inject(SettingsStore).save({ token: 't', apiBase: '', wsBase: 'ws://n.test' });
  return { backend: TestBed.inject(HttpTestingController), sockets };
}
