import { toReceiptView } from './receipt-view';
import { scanEventIdOf } from './scan-normalizer';

describe('toReceiptView', () => {
  it('shows a stored receipt with ISO times and the id of the scan event it produced', () => {
    const payload = { eventId: 'm-1', eventType: 'scan.completed' };
    const view = toReceiptView({
      eventId: 'm-1',
      scanId: 'img-1',
      slideBarcode: 'S-1-A1',
      eventType: 'scan.completed',
      scannerId: 'GT450-1',
      occurredAt: new Date('2026-11-27T10:00:00Z'),
      receivedVia: 'kafka',
      receivedAt: new Date('2026-11-27T10:00:01.5Z'),
      payload,
    });
    expect(view).toEqual({
      eventId: 'm-1',
      scanId: 'img-1',
      slideBarcode: 'S-1-A1',
      eventType: 'scan.completed',
      scannerId: 'GT450-1',
      occurredAt: '2026-11-27T10:00:00.000Z',
      receivedVia: 'kafka',
      receivedAt: '2026-11-27T10:00:01.500Z',
      scanEventId: scanEventIdOf('m-1'),
      event: payload,
    });
  });
});
