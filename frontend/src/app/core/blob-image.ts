import { DestroyRef, Signal, signal } from '@angular/core';
import { Observable } from 'rxjs';

/** An image fetched as a blob, shown through an object URL. */
export interface BlobImage {
  readonly url: Signal<string | null>;
  readonly failed: Signal<boolean>;
}

/**
 * Images results-api serves need the bearer token, which an <img src> cannot send: the image is
 * fetched with the token and shown through an object URL, revoked when the component goes.
 */
export function blobImage(source: Observable<Blob>, destroyRef: DestroyRef): BlobImage {
  const url = signal<string | null>(null);
  const failed = signal(false);
  source.subscribe({
    next: (blob) => {
      const objectUrl = URL.createObjectURL(blob);
      url.set(objectUrl);
      destroyRef.onDestroy(() => URL.revokeObjectURL(objectUrl));
    },
    error: () => failed.set(true),
  });
  return { url: url.asReadonly(), failed: failed.asReadonly() };
}
