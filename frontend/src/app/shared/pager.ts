import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { Paging } from './paging';

/** Previous / "26–50 of 130" / Next under a paged list; nothing when it fits on one page. */
@Component({
  selector: 'app-pager',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (paging().pages() > 1) {
      <nav class="pager" [attr.aria-label]="label()" [attr.data-testid]="testId()">
        <button
          type="button"
          (click)="paging().index.set(paging().shown() - 1)"
          [disabled]="paging().shown() === 0"
        >
          Previous
        </button>
        <span>{{ first() }}–{{ last() }} of {{ paging().items().length }}</span>
        <button
          type="button"
          (click)="paging().index.set(paging().shown() + 1)"
          [disabled]="paging().shown() === paging().pages() - 1"
        >
          Next
        </button>
      </nav>
    }
  `,
  styles: `
    .pager {
      display: flex;
      gap: 10px;
      align-items: center;
      justify-content: flex-end;
      margin-top: 8px;
    }
  `,
})
export class Pager {
  readonly paging = input.required<Paging<unknown>>();
  /** What the pages are of, for screen readers ("Stream pages"). */
  readonly label = input.required<string>();
  readonly testId = input<string>();
  protected readonly first = computed(() => this.paging().shown() * this.paging().size + 1);
  protected readonly last = computed(
    () => this.paging().shown() * this.paging().size + this.paging().page().length,
  );
}
