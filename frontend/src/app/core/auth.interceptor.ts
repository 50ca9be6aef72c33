import { HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { SettingsStore } from './settings';

/**
 * Sends every `/api/...` request to the configured results-api with the operator's bearer token.
 * Services keep origin-relative paths so that the base URL can change at run time.
 */
export const authInterceptor: HttpInterceptorFn = (req, next) => {
  if (!req.url.startsWith('/api/')) {
    return next(req);
  }
  const settings = inject(SettingsStore);
  const token = settings.settings().token;
  return next(
    req.clone({
      url: settings.apiUrl(req.url),
      setHeaders: token ? { Authorization: `Bearer ${token}` } : {},
    }),
  );
};
