import { TestBed } from '@angular/core/testing';
import { SETTINGS_STORAGE_KEY, SettingsStore } from './settings';

describe('SettingsStore', () => {
  beforeEach(() => localStorage.clear());

  it('persists trimmed settings and strips trailing slashes from base URLs', () => {
    const store = TestBed.inject(SettingsStore);
    store.save({
      token: '  tok  ',
      apiBase: 'http://127.0.0.1:8000/',
      wsBase: 'ws://127.0.0.1:8001//',
    });
    expect(store.settings()).toEqual({
      token: 'tok',
      apiBase: 'http://127.0.0.1:8000',
      wsBase: 'ws://127.0.0.1:8001',
    });
    expect(JSON.parse(localStorage.getItem(SETTINGS_STORAGE_KEY)!).token).toBe('tok');
    expect(store.apiUrl('/api/streams')).toBe('http://127.0.0.1:8000/api/streams');
    expect(store.wsUrl()).toBe('ws://127.0.0.1:8001/ws');
    expect(store.wsProtocols()).toEqual(['sightline.v1', 'bearer.tok']);
  });

  it('defaults to this origin so that the proxy serves /api and /ws', () => {
    const store = TestBed.inject(SettingsStore);
    store.save({ token: 'a b', apiBase: '', wsBase: '' });
    expect(store.apiUrl('/api/streams')).toBe('/api/streams');
    expect(store.wsUrl()).toBe(`ws://${location.host}/ws`);
  });

  it('survives a corrupt stored entry', () => {
    localStorage.setItem(SETTINGS_STORAGE_KEY, '{not json');
    expect(TestBed.inject(SettingsStore).hasToken()).toBe(false);
  });
});
