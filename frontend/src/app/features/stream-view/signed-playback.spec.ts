import { SignedPlayback, expiryOf } from './signed-playback';

const signed = (exp: number) => `http://api/api/hls/streams/s1/playlist.m3u8?exp=${exp}&sig=abc`;

describe('SignedPlayback', () => {
  it('reuses a signed URL until shortly before it expires, then asks for a new one', async () => {
    let now = 1000;
    const issued = [signed(1300), signed(1600)];
    const fetchUrl = vi.fn(() => Promise.resolve(issued.shift()!));
    const playback = new SignedPlayback(fetchUrl, () => now * 1000, 30);

    expect(await playback.playlistUrl()).toBe(signed(1300));
    now = 1200; // 100 s before expiry: reused
    expect(await playback.playlistUrl()).toBe(signed(1300));
    expect(fetchUrl).toHaveBeenCalledTimes(1);
    now = 1271; // 29 s before expiry: replaced
    expect(await playback.playlistUrl()).toBe(signed(1600));
    expect(fetchUrl).toHaveBeenCalledTimes(2);
  });

  it('sends playlist reloads to the fresh URL and leaves segment URLs as the playlist signed them', async () => {
    const playback = new SignedPlayback(() => Promise.resolve(signed(9_999_999_999)));
    const stale = signed(1);
    expect(await playback.resolve(stale)).toBe(signed(9_999_999_999));
    const segment = 'http://api/api/hls/streams/s1/segments/3.ts?exp=5&sig=x';
    expect(await playback.resolve(segment)).toBe(segment);
  });

  it('asks once for concurrent loads', async () => {
    const fetchUrl = vi.fn(() => Promise.resolve(signed(9_999_999_999)));
    const playback = new SignedPlayback(fetchUrl);
    await Promise.all([playback.playlistUrl(), playback.playlistUrl()]);
    expect(fetchUrl).toHaveBeenCalledTimes(1);
  });

  it('reads the expiry of a signed URL', () => {
    expect(expiryOf(signed(42))).toBe(42);
    expect(expiryOf('/api/hls/streams/s1/playlist.m3u8?exp=7&sig=y')).toBe(7);
    expect(expiryOf('/api/streams/s1/playlist.m3u8')).toBeNull();
  });
});
