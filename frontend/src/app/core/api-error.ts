import { HttpErrorResponse } from '@angular/common/http';

/**
 * Turns a failed request into one sentence an operator can act on: FastAPI's `detail` (a string
 * or a list of validation errors) when the API sent one, otherwise what went wrong on the wire.
 */
export function describeApiError(error: unknown): string {
  if (!(error instanceof HttpErrorResponse)) {
    return error instanceof Error ? error.message : String(error);
  }
  if (error.status === 0) {
    return 'Cannot reach results-api: check the API URL in Settings and that the service is running.';
  }
  if (error.status === 401 || error.status === 403) {
    return `The API refused the token (${error.status}): paste a valid token in Settings.`;
  }
  const detail = detailOf(error.error);
  return detail
    ? `${detail} (HTTP ${error.status})`
    : `${error.statusText || 'Request failed'} (HTTP ${error.status})`;
}

function detailOf(body: unknown): string | null {
  if (typeof body === 'string' && body.trim()) {
    return body.trim().slice(0, 300);
  }
  if (body && typeof body === 'object' && 'detail' in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === 'string') {
      return detail;
    }
    if (Array.isArray(detail)) {
      return detail
        .map((item: { loc?: unknown[]; msg?: string }) =>
          item.loc
            ? `${item.loc.filter((part) => part !== 'body').join('.')}: ${item.msg}`
            : item.msg,
        )
        .join('; ');
    }
  }
  return null;
}
