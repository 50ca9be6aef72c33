import type { DetectionItem } from '../../api/contract';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const KIND_COLOURS: Record<string, string> = {
  logo: '#3fa7ff',
  face: '#f2b84b',
  person: '#c38bff',
  text: '#3ecf8e',
};
const DEFAULT_COLOUR = '#ff8f5a';

export function kindColour(kind: string): string {
  return KIND_COLOURS[kind] ?? DEFAULT_COLOUR;
}

/**
 * Where the picture sits inside the element: a <video> letterboxes (object-fit: contain), and
 * boxes are normalised to the picture, not to the element.
 */
export function contentRect(
  elementW: number,
  elementH: number,
  videoW: number,
  videoH: number,
): Rect {
  if (!videoW || !videoH || !elementW || !elementH) {
    return { x: 0, y: 0, w: elementW, h: elementH };
  }
  const scale = Math.min(elementW / videoW, elementH / videoH);
  const w = videoW * scale;
  const h = videoH * scale;
  return { x: (elementW - w) / 2, y: (elementH - h) / 2, w, h };
}

/** Draws each boxed detection with its label and confidence; boxless ones (a cut) are skipped. */
export function paintDetections(
  ctx: CanvasRenderingContext2D,
  items: readonly DetectionItem[],
  picture: Rect,
  pixelRatio = 1,
): void {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.save();
  ctx.scale(pixelRatio, pixelRatio);
  ctx.lineWidth = 2;
  ctx.font = '600 12px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  for (const item of items) {
    if (!item.box) {
      continue;
    }
    const colour = kindColour(item.kind);
    const x = picture.x + item.box.x * picture.w;
    const y = picture.y + item.box.y * picture.h;
    const w = item.box.w * picture.w;
    const h = item.box.h * picture.h;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    const text = `${item.label} ${Math.round(item.confidence * 100)}%`;
    const textW = ctx.measureText(text).width + 8;
    const labelY = y >= 18 ? y - 18 : y + h;
    ctx.fillStyle = colour;
    ctx.fillRect(x - 1, labelY, textW, 18);
    ctx.fillStyle = '#08111a';
    ctx.fillText(text, x + 3, labelY + 3);
  }
  ctx.restore();
}
