import { Component, input } from '@angular/core';
import type { DetectionItem } from '../api/contract';
import type { SignedPlayback } from '../features/stream-view/signed-playback';

/** The real player needs MediaSource and a canvas, which jsdom lacks; a page's wiring is under test. */
@Component({ selector: 'app-video-player', template: '' })
export class PlayerStub {
  readonly playback = input<SignedPlayback | null>(null);
  readonly boxesAt = input<(t: number) => DetectionItem[]>(() => []);
  readonly mediaOffset = input(0);
}
