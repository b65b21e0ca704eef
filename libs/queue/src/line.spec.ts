import { lineClosed, readLineLifecycle, readLineSettings } from './line';

const defaults = { ADMISSION_RATE_PER_SEC: 100, ADMISSION_BURST: 50, ADMISSION_MAX_ACTIVE: 0 };

describe('readLineSettings', () => {
  it('takes valid stored fields as overrides, the rest from the environment', () => {
    expect(readLineSettings({ ratePerSec: '0', maxActive: '7.9' }, defaults)).toEqual({
      overrides: { ratePerSec: 0, maxActive: 7 },
      settings: { ratePerSec: 0, burst: 50, maxActive: 7 },
    });
  });

  it('never reads an empty, missing or out-of-range field as an override (no accidental pause)', () => {
    const raw = { ratePerSec: '', burst: '0', maxActive: 'x' };
    expect(readLineSettings(raw, defaults)).toEqual({
      overrides: {},
      settings: { ratePerSec: 100, burst: 50, maxActive: 0 },
    });
    expect(readLineSettings({ ratePerSec: null, burst: undefined }, defaults).overrides).toEqual(
      {},
    );
    expect(readLineSettings({ ratePerSec: '-1' }, defaults).settings.ratePerSec).toBe(100);
  });
});

describe('readLineLifecycle', () => {
  it('reads closesAt and endedAt; a line closes at closesAt and is closed once ended', () => {
    const l = readLineLifecycle({ closesAt: '1000', endedAt: null });
    expect(l).toEqual({ closesAt: 1000, endedAt: null });
    expect(lineClosed(l, 999)).toBe(false);
    expect(lineClosed(l, 1000)).toBe(true);
    expect(lineClosed(readLineLifecycle({ endedAt: '5' }), 0)).toBe(true);
    expect(lineClosed(readLineLifecycle({ closesAt: '', endedAt: 'x' }), Date.now())).toBe(false);
  });
});
