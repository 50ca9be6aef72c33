import { provideHttpClient } from '@angular/common/http';
import { provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { App } from './app';

describe('App shell', () => {
  it('offers every screen in the navigation and shows the live-feed state', async () => {
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(), provideHttpClientTesting()],
    });
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const nav = [...fixture.nativeElement.querySelectorAll('nav a')].map((a) =>
      (a as HTMLElement).textContent?.trim(),
    );
    expect(nav).toEqual([
      'Streams',
      'Brand exposure',
      'Sponsor report',
      'Logo library',
      'Reanalysis',
      'Storage',
      'Alerts',
      'Settings',
    ]);
    expect(fixture.nativeElement.querySelector('[data-testid=ws-state]').textContent).toContain(
      'Live feed off',
    );
  });
});
