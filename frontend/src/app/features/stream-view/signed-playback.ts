/**
 * The player's playlist URL, signed by results-api (`GET /api/streams/{id}/playback`), so that no
 * API token is ever put in a URL the player loads (URLs end up in access logs and history).
 * A signature is short-lived: the playlist URL is fetched again shortly before it expires, and
 * each playlist reload goes to the newest one; the segments are signed in every playlist.
 */
export class SignedPlayback {
  private current: string | null = null;
  private pending: Promise<string> | null = null;

  /**
   * @param fetchUrl asks the API for a newly signed playlist URL (absolute)
   * @param now milliseconds since the epoch
   * @param marginS how long before its expiry a URL is replaced
   */
  constructor(
    private readonly fetchUrl: () => Promise<string>,
    private readonly now: () => number = Date.now,
    private readonly marginS = 30,
  ) {}

  /** A signed playlist URL valid for at least `marginS` more seconds. */
  playlistUrl(): Promise<string> {
    const current = this.current;
    if (current !== null && !expiresBy(current, this.now() / 1000 + this.marginS)) {
      return Promise.resolve(current);
    }
    this.pending ??= this.fetchUrl()
      .then((url) => (this.current = url))
      .finally(() => (this.pending = null));
    return this.pending;
  }

  /** The URL to load instead of `url`: a playlist (re)load goes to a fresh signed URL. */
  resolve(url: string): Promise<string> {
    return isPlaylist(url) ? this.playlistUrl() : Promise.resolve(url);
  }
}

/** The `exp` (unix seconds) of a signed URL, or null when it has none. */
export function expiryOf(url: string): number | null {
  const exp = new URL(url, 'http://relative.invalid').searchParams.get('exp');
  return exp !== null && /^\d+$/.test(exp) ? Number(exp) : null;
}

function expiresBy(url: string, seconds: number): boolean {
  const exp = expiryOf(url);
  return exp === null || exp <= seconds;
}

function isPlaylist(url: string): boolean {
  return new URL(url, 'http://relative.invalid').pathname.endsWith('.m3u8');
}
