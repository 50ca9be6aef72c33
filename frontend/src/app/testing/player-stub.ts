import { Component, input } from '@angular/core';
import type { DetectionItem } from '../api/contract';

/** The real player needs MediaSource and a canvas, which jsdom lacks; a page's wiring is under test. */
@Component({ selector: 'app-video-player', template: '' })
export class PlayerStub {
  readonly src = input('');
  readonly token = input('');
  readonly apiPrefix = input('');
  readonly boxesAt = input<(t: number) => DetectionItem[]>(() => []);
  readonly mediaOffset = input(0);
}
