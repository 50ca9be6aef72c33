import { SettingsStore } from './settings';

/**
 * Signs the browser in from the link `make run` prints (`/#token=...`, as Jupyter prints a
 * tokened URL): the token is saved like one pasted on the Settings screen, then removed from the
 * address bar and the history entry. A fragment, not a query parameter, so the token never
 * reaches a server's or proxy's access log. Returns whether a token was adopted.
 */
export function adoptTokenFromUrl(
  store: SettingsStore,
  location: Pick<Location, 'hash' | 'pathname' | 'search'>,
  history: Pick<History, 'replaceState'>,
): boolean {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token')?.trim();
  if (!token) return false;
  store.save({ ...store.settings(), token });
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  return true;
}
