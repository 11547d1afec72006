import { dicomDateAndTimeToIso, dicomDateTimeToIso, isoOffset } from './dicom-datetime';

describe('dicomDateTimeToIso (DT)', () => {
  it.each([
    ['20261127101403.120000+0100', '+0000', '2026-11-27T10:14:03.120+01:00'],
    ['20261127101403.120000', '+0100', '2026-11-27T10:14:03.120+01:00'],
    ['20261127101403', '-0500', '2026-11-27T10:14:03.000-05:00'],
    ['202611271014', '+0000', '2026-11-27T10:14:00.000+00:00'],
    ['20261127', '+0000', '2026-11-27T00:00:00.000+00:00'],
    ['2026', '+0000', '2026-01-01T00:00:00.000+00:00'],
    ['20261127101403.1', '+0000', '2026-11-27T10:14:03.100+00:00'],
    ['20261231235960', '+0000', '2026-12-31T23:59:59.999+00:00'],
    [' 20261127101403 ', '+0000', '2026-11-27T10:14:03.000+00:00'],
  ])('%s at default offset %s is %s', (dt, offset, iso) => {
    expect(dicomDateTimeToIso(dt, offset)).toBe(iso);
  });

  it.each(['', '2026-11-27T10:14:03Z', '20261327', '20260230', '20261127251403', '20261127101403+2500', '20261127101403.1234567', 'yesterday'])(
    'refuses %j',
    (dt) => {
      expect(dicomDateTimeToIso(dt, '+0000')).toBeUndefined();
    },
  );

  it('gives instants Date and the contract accept', () => {
    const iso = dicomDateTimeToIso('20261127101403.120+0100', '+0000') as string;
    expect(new Date(iso).toISOString()).toBe('2026-11-27T09:14:03.120Z');
  });
});

describe('dicomDateAndTimeToIso (DA + TM)', () => {
  it.each([
    ['20261127', '101403.5', '+0100', '2026-11-27T10:14:03.500+01:00'],
    ['20261127', '1014', '+0000', '2026-11-27T10:14:00.000+00:00'],
    ['20261127', '10:14:03', '+0000', '2026-11-27T10:14:03.000+00:00'],
    ['2026.11.27', '101403', '+0000', '2026-11-27T10:14:03.000+00:00'],
    ['20261127', undefined, '+0000', '2026-11-27T00:00:00.000+00:00'],
  ])('%s %s at %s is %s', (da, tm, offset, iso) => {
    expect(dicomDateAndTimeToIso(da, tm, offset)).toBe(iso);
  });

  it('refuses a bad date, time or offset', () => {
    expect(dicomDateAndTimeToIso('2026112', '101403', '+0000')).toBeUndefined();
    expect(dicomDateAndTimeToIso('20261127', '246000', '+0000')).toBeUndefined();
    expect(dicomDateAndTimeToIso('20261127', '101403', 'CET')).toBeUndefined();
  });
});

describe('isoOffset', () => {
  it('turns +HHMM into +HH:MM within -12..+14 hours', () => {
    expect(isoOffset('+0100')).toBe('+01:00');
    expect(isoOffset('-0930')).toBe('-09:30');
    expect(isoOffset('+1400')).toBe('+14:00');
    expect(isoOffset('+1500')).toBeUndefined();
    expect(isoOffset('+0160')).toBeUndefined();
    expect(isoOffset('0100')).toBeUndefined();
  });
});
