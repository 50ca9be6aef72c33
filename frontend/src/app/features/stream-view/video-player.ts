import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  afterNextRender,
  effect,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import type Hls from 'hls.js';
import type { DetectionItem } from '../../api/contract';
import { loadHls } from './hls-loader';
import { contentRect, paintDetections } from './overlay-painter';
import type { SignedPlayback } from './signed-playback';

/**
 * Plays the stream's HLS (live or VOD) through a lazily loaded hls.js and draws detection boxes
 * over it for the video's current media time, re-painting on every presented frame. The boxes
 * come from `boxesAt(mediaTime)`, so they follow seeking and pausing, not arrival time.
 * The playlist is loaded at short-lived signed URLs (`SignedPlayback`): no API token in any URL,
 * and every playlist reload of a live stream goes to a URL that is still valid.
 */
@Component({
  selector: 'app-video-player',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="frame">
      <video
        #video
        [muted]="true"
        autoplay
        playsinline
        controls
        data-testid="video"
        aria-label="Stream video"
      ></video>
      <canvas #overlay class="overlay" aria-hidden="true" data-testid="overlay"></canvas>
      @if (message()) {
        <div class="message" role="status">{{ message() }}</div>
      }
    </div>
  `,
  styles: `
    .frame {
      position: relative;
      background: #000;
      aspect-ratio: 16 / 9;
      max-height: calc(100vh - 250px);
      min-height: 240px;
      margin: 0 auto;
      border-radius: var(--radius);
      overflow: hidden;
    }
    video {
      width: 100%;
      height: 100%;
      display: block;
      object-fit: contain;
    }
    .overlay {
      position: absolute;
      inset: 0;
      width: 100%;
      height: 100%;
      pointer-events: none;
    }
    .message {
      position: absolute;
      top: 12px;
      left: 50%;
      transform: translateX(-50%);
      padding: 6px 12px;
      border-radius: var(--radius);
      background: #000b;
      color: var(--text);
      font-size: 0.9rem;
    }
  `,
})
export class VideoPlayer {
  /** Where the signed playlist URLs come from (one per stream). */
  readonly playback = input.required<SignedPlayback>();
  /** Results to draw at a media time (seconds). */
  readonly boxesAt = input<(mediaTime: number) => DetectionItem[]>(() => []);
  /** Seconds to add to video.currentTime to get media time (see StreamViewPage). */
  readonly mediaOffset = input(0);

  readonly timeUpdate = output<number>();
  readonly durationChange = output<number>();
  /** hls.js fragment changes: media sequence number and its start on the playback timeline. */
  readonly fragmentChange = output<{ sn: number; start: number }>();

  private readonly video = viewChild.required<ElementRef<HTMLVideoElement>>('video');
  private readonly canvas = viewChild.required<ElementRef<HTMLCanvasElement>>('overlay');
  protected readonly message = signal<string | null>('Loading player…');
  private hls: Hls | null = null;
  private frameRequest: number | null = null;
  private destroyed = false;

  constructor() {
    afterNextRender(() => {
      this.bindVideoEvents();
      this.schedulePaint();
    });
    effect(() => {
      const playback = this.playback();
      void this.attach(playback);
    });
    inject(DestroyRef).onDestroy(() => {
      this.destroyed = true;
      this.hls?.destroy();
      if (this.frameRequest !== null) {
        cancelAnimationFrame(this.frameRequest);
      }
    });
  }

  /** Seek to a media time (seconds). */
  seek(mediaTime: number): void {
    const video = this.video().nativeElement;
    video.currentTime = Math.max(0, mediaTime - this.mediaOffset());
    void video.play().catch(() => undefined);
  }

  /** Current media time (seconds). */
  mediaTime(): number {
    return this.video().nativeElement.currentTime + this.mediaOffset();
  }

  private async attach(playback: SignedPlayback): Promise<void> {
    const video = this.video().nativeElement;
    this.hls?.destroy();
    this.hls = null;
    this.message.set('Loading player…');
    const [HlsClass, src] = await Promise.all([
      loadHls(),
      playback.playlistUrl().catch(() => null),
    ]);
    if (this.destroyed || this.playback() !== playback) {
      return;
    }
    if (src === null) {
      this.message.set('Video unavailable: the API refused a playback URL. Retrying…');
      setTimeout(
        () => !this.destroyed && this.playback() === playback && this.attach(playback),
        3000,
      );
      return;
    }
    if (!HlsClass.isSupported()) {
      // Safari plays HLS natively; the signed URL needs no header (renewed at the next attach).
      video.src = src;
      return;
    }
    const hls = new HlsClass({
      lowLatencyMode: false,
      backBufferLength: 90,
      // A playlist reload goes to a still-valid signed URL; segments are signed in the playlist.
      xhrSetup: async (xhr, url) => {
        const target = await playback.resolve(url);
        if (target !== url) {
          xhr.open('GET', target, true);
        }
      },
    });
    this.hls = hls;
    hls.on(HlsClass.Events.MANIFEST_PARSED, () => {
      this.message.set(null);
      void video.play().catch(() => this.message.set('Press play to start.'));
    });
    hls.on(HlsClass.Events.FRAG_CHANGED, (_event, data) => {
      if (typeof data.frag.sn === 'number') {
        this.fragmentChange.emit({ sn: data.frag.sn, start: data.frag.start });
      }
    });
    hls.on(HlsClass.Events.ERROR, (_event, data) => {
      if (!data.fatal) {
        return;
      }
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      const status = data.response?.code;
      this.message.set(
        status === 404
          ? 'No video yet: the stream has not produced segments. Retrying…'
          : `Video unavailable (${data.details}${status ? `, HTTP ${status}` : ''}). Retrying…`,
      );
      this.reload(hls, playback);
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  }

  /** Loads a fresh signed playlist URL into `hls` in 3 s, again until one is had. */
  private reload(hls: Hls, playback: SignedPlayback): void {
    setTimeout(() => {
      if (this.destroyed || this.hls !== hls) {
        return;
      }
      playback.playlistUrl().then(
        (fresh) => this.hls === hls && hls.loadSource(fresh),
        () => this.reload(hls, playback),
      );
    }, 3000);
  }

  private bindVideoEvents(): void {
    const video = this.video().nativeElement;
    video.addEventListener('timeupdate', () => this.timeUpdate.emit(this.mediaTime()));
    video.addEventListener('durationchange', () => this.durationChange.emit(video.duration));
    video.addEventListener('playing', () => this.message.set(null));
  }

  /** Re-paints on each animation frame: cheap (a binary search and a few rectangles). */
  private schedulePaint(): void {
    if (this.destroyed) {
      return;
    }
    this.paint();
    this.frameRequest = requestAnimationFrame(() => this.schedulePaint());
  }

  private paint(): void {
    const video = this.video().nativeElement;
    const canvas = this.canvas().nativeElement;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (
      canvas.width !== Math.round(width * ratio) ||
      canvas.height !== Math.round(height * ratio)
    ) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) {
      return;
    }
    const picture = contentRect(width, height, video.videoWidth, video.videoHeight);
    const items = video.readyState >= 2 ? this.boxesAt()(this.mediaTime()) : [];
    canvas.dataset['boxes'] = String(items.filter((item) => item.box).length);
    canvas.dataset['labels'] = items.map((item) => item.label).join(',');
    paintDetections(ctx, items, picture, ratio);
  }
}
