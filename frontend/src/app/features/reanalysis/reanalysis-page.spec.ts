import { isFinished, parseConfig } from './reanalysis-page';

describe('Reanalysis helpers', () => {
  it('accepts an empty or object config and rejects other JSON', () => {
    expect(parseConfig('  ')).toBeUndefined();
    expect(parseConfig('{"logo": {"min_confidence": 0.6}}')).toEqual({
      logo: { min_confidence: 0.6 },
    });
    expect(() => parseConfig('[1]')).toThrow('JSON object');
    expect(() => parseConfig('{oops')).toThrow();
  });

  it('stops polling only at done or failed', () => {
    expect(isFinished({ run_id: 'r', stream_id: 's', state: 'running' })).toBe(false);
    expect(isFinished({ run_id: 'r', stream_id: 's', state: 'failed' })).toBe(true);
  });
});
