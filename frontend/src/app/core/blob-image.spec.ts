import { DestroyRef } from '@angular/core';
import { of, throwError } from 'rxjs';
import { blobImage } from './blob-image';

function fakeDestroyRef(): { ref: DestroyRef; destroy: () => void } {
  const callbacks: (() => void)[] = [];
  const ref = { onDestroy: (fn: () => void) => callbacks.push(fn) } as unknown as DestroyRef;
  return { ref, destroy: () => callbacks.forEach((fn) => fn()) };
}

describe('blobImage', () => {
  it('shows a fetched blob through an object URL and revokes it on destroy', () => {
    const revoked: string[] = [];
    URL.createObjectURL = () => 'blob:image-1';
    URL.revokeObjectURL = (url: string) => void revoked.push(url);
    const { ref, destroy } = fakeDestroyRef();
    const image = blobImage(of(new Blob(['png'])), ref);
    expect(image.url()).toBe('blob:image-1');
    expect(image.failed()).toBe(false);
    destroy();
    expect(revoked).toEqual(['blob:image-1']);
  });

  it('says it failed when the fetch fails', () => {
    const { ref } = fakeDestroyRef();
    const image = blobImage(
      throwError(() => new Error('410')),
      ref,
    );
    expect(image.url()).toBeNull();
    expect(image.failed()).toBe(true);
  });
});
