import { contentRect } from './overlay-painter';

describe('contentRect', () => {
  it('letterboxes a 16:9 picture in a 4:3 element', () => {
    expect(contentRect(800, 600, 1280, 720)).toEqual({ x: 0, y: 75, w: 800, h: 450 });
  });

  it('pillarboxes a 4:3 picture in a 16:9 element', () => {
    expect(contentRect(1600, 900, 640, 480)).toEqual({ x: 200, y: 0, w: 1200, h: 900 });
  });

  it('uses the whole element before the video knows its size', () => {
    expect(contentRect(640, 360, 0, 0)).toEqual({ x: 0, y: 0, w: 640, h: 360 });
  });
});
