import { TestBed } from '@angular/core/testing';
import { SettingsStore } from './settings';
import { adoptTokenFromUrl } from './url-token';

describe('adoptTokenFromUrl', () => {
  beforeEach(() => localStorage.clear());

  it('saves the token from the link and takes it out of the address bar', () => {
    const store = TestBed.inject(SettingsStore);
    store.save({ token: '', apiBase: 'http://api.test', wsBase: '' });
    const replaced: string[] = [];
    const adopted = adoptTokenFromUrl(
      store,
      { hash: '#token=abc123', pathname: '/streams', search: '?x=1' },
      {
        replaceState: (_s: unknown, _t: string, url?: string | URL | null) =>
          replaced.push(String(url)),
      },
    );
    expect(adopted).toBe(true);
    expect(store.settings()).toEqual({ token: 'abc123', apiBase: 'http://api.test', wsBase: '' });
    expect(JSON.parse(localStorage.getItem('sightline.settings')!).token).toBe('abc123');
    expect(replaced).toEqual(['/streams?x=1']);
  });

  it('leaves a link without a token alone', () => {
    const store = TestBed.inject(SettingsStore);
    const replaced: string[] = [];
    const adopted = adoptTokenFromUrl(
      store,
      { hash: '#section', pathname: '/', search: '' },
      { replaceState: () => replaced.push('called') },
    );
    expect(adopted).toBe(false);
    expect(store.hasToken()).toBe(false);
    expect(replaced).toEqual([]);
  });
});
