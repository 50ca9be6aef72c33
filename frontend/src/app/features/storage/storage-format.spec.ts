import { daysToLifetime, formatBytes, formatLifetime, lifetimeToDays } from './storage-format';

describe('storage formatting', () => {
  it('reads bytes in powers of 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(27 * 1024 ** 3)).toBe('27.0 GB');
    expect(formatBytes(null)).toBe('–');
  });

  it('reads lifetimes in words', () => {
    expect(formatLifetime(0)).toBe('for ever');
    expect(formatLifetime(7 * 86_400)).toBe('7 days');
    expect(formatLifetime(86_400)).toBe('1 day');
    expect(formatLifetime(7200)).toBe('2 h');
    expect(formatLifetime(30)).toBe('30 s');
  });

  it('turns typed days into seconds: empty follows the default, 0 keeps for ever', () => {
    expect(daysToLifetime('')).toBeNull();
    expect(daysToLifetime(' 0 ')).toBe(0);
    expect(daysToLifetime('7')).toBe(604_800);
    expect(daysToLifetime('0.5')).toBe(43_200);
    expect(() => daysToLifetime('-1')).toThrow(/not a number of days/);
    expect(() => daysToLifetime('week')).toThrow(/not a number of days/);
    expect(lifetimeToDays(604_800)).toBe('7');
    expect(lifetimeToDays(null)).toBe('');
  });
});
