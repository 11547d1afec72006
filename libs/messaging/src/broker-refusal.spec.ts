import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { brokerRefusal } from './broker-refusal';

/** A broker error as kafkajs makes it from a response's error code. */
const protocolError = (type: string, retriable = false) =>
  new KafkaJSProtocolError(Object.assign(new Error(`broker says ${type}`), { type, code: 0, retriable }));

describe('brokerRefusal', () => {
  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_TIMESTAMP'])('takes %s as a refusal of the records', (type) => {
    expect(brokerRefusal(protocolError(type))).toBe(`${type}: broker says ${type}`);
  });

  it('finds the refusal inside kafkajs wrappers (retries exceeded, non-retriable)', () => {
    const corrupt = protocolError('CORRUPT_MESSAGE', true);
    expect(brokerRefusal(new KafkaJSNumberOfRetriesExceeded(corrupt, { retryCount: 8, retryTime: 100 }))).toMatch(/^CORRUPT_MESSAGE/);
    const wrapped = new KafkaJSNonRetriableError(protocolError('MESSAGE_TOO_LARGE'));
    Object.assign(wrapped, { cause: protocolError('MESSAGE_TOO_LARGE') });
    expect(brokerRefusal(wrapped)).toMatch(/^MESSAGE_TOO_LARGE/);
  });

  it('does not take cluster trouble for a refusal: it is retried', () => {
    expect(brokerRefusal(protocolError('NOT_LEADER_FOR_PARTITION', true))).toBeUndefined();
    expect(brokerRefusal(protocolError('TOPIC_AUTHORIZATION_FAILED'))).toBeUndefined();
    expect(brokerRefusal(new KafkaJSConnectionError('Connection error: ECONNREFUSED'))).toBeUndefined();
    expect(brokerRefusal(new Error('MESSAGE_TOO_LARGE in a plain error'))).toBeUndefined();
    expect(brokerRefusal('MESSAGE_TOO_LARGE')).toBeUndefined();
  });

  it('stops on an error that causes itself', () => {
    const loop = new Error('loop');
    Object.assign(loop, { cause: loop });
    expect(brokerRefusal(loop)).toBeUndefined();
  });
});
