import { Signal, computed, signal } from '@angular/core';

/**
 * A long list shown a page at a time (an operator with many cameras or sponsors). The page shown
 * is the one asked for, or the last one left when the list shrank under it (a filter, a delete).
 */
export class Paging<T> {
  readonly index = signal(0);
  readonly pages: Signal<number>;
  readonly shown: Signal<number>;
  readonly page: Signal<T[]>;

  constructor(
    readonly items: Signal<T[]>,
    readonly size: number,
  ) {
    this.pages = computed(() => Math.max(1, Math.ceil(this.items().length / size)));
    this.shown = computed(() => Math.min(this.index(), this.pages() - 1));
    this.page = computed(() => this.items().slice(this.shown() * size, (this.shown() + 1) * size));
  }
}
