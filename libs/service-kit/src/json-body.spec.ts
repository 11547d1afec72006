import { findUnsafeText } from '@slidecharge/contracts';
import { bodyMediaTypeRefusal, bodyParserErrorRefusal, tooDeepRefusal } from './json-body';
import { unsafeTextRefusal } from './request-refusal';

const answer = (refusal: { getStatus(): number; getResponse(): unknown } | undefined) => refusal && { status: refusal.getStatus(), body: refusal.getResponse() };

describe('bodyMediaTypeRefusal', () => {
  it('reads JSON in UTF-8, with or without the charset parameter', () => {
    expect(bodyMediaTypeRefusal('application/json', [])).toBeUndefined();
    expect(bodyMediaTypeRefusal('Application/JSON; charset="UTF-8"', [])).toBeUndefined();
    expect(bodyMediaTypeRefusal('application/json;charset=utf8', [])).toBeUndefined();
  });

  it('refuses JSON in another charset with 415 unsupported_charset (RFC 8259: UTF-8 between systems)', () => {
    expect(answer(bodyMediaTypeRefusal('application/json; charset=latin1', []))).toEqual({
      status: 415,
      body: { error: 'unsupported_charset', message: expect.stringContaining('"latin1" is not accepted: send JSON in UTF-8') },
    });
    expect(bodyMediaTypeRefusal('application/json; charset=utf-16', [])?.getStatus()).toBe(415);
  });

  it('refuses any other media type, or none, with 415 unsupported_media_type naming what is taken', () => {
    expect(answer(bodyMediaTypeRefusal('text/plain', []))).toEqual({
      status: 415,
      body: { error: 'unsupported_media_type', message: 'Content-Type "text/plain" is not accepted here: send application/json' },
    });
    expect(bodyMediaTypeRefusal(undefined, [])?.refusal.message).toContain('"(none)"');
    expect(bodyMediaTypeRefusal('application/x-www-form-urlencoded', ['application/dicom'])?.refusal.message).toContain('send application/json, application/dicom');
  });

  it('lets through the media types a route reads itself', () => {
    expect(bodyMediaTypeRefusal('application/dicom', ['application/dicom', 'application/dicom+json'])).toBeUndefined();
    expect(bodyMediaTypeRefusal('application/dicom+json; charset=utf-8', ['application/dicom', 'application/dicom+json'])).toBeUndefined();
  });
});

describe('bodyParserErrorRefusal', () => {
  const parseError = (text: string) => {
    try {
      JSON.parse(text);
    } catch (e) {
      return Object.assign(e as Error, { type: 'entity.parse.failed', status: 400, body: text });
    }
    throw new Error('parsed');
  };

  it('says the body is not JSON without quoting it', () => {
    const refusal = bodyParserErrorRefusal(parseError('{"patientId": MRN-SECRET}'));
    expect(answer(refusal)).toEqual({ status: 400, body: { error: 'invalid_json', message: "the body is not valid JSON: Unexpected token 'M'" } });
    expect(bodyParserErrorRefusal(parseError('{"a":'))?.refusal.message).toBe('the body is not valid JSON: Unexpected end of JSON input');
  });

  it('413 for a body over the limit, 415 for an unknown charset or content encoding, 400 for a cut-short body', () => {
    expect(answer(bodyParserErrorRefusal({ type: 'entity.too.large', limit: 2097152 }))).toEqual({
      status: 413,
      body: { error: 'payload_too_large', message: 'the body is larger than the limit of 2097152 bytes' },
    });
    expect(bodyParserErrorRefusal({ type: 'charset.unsupported' })?.getStatus()).toBe(415);
    expect(bodyParserErrorRefusal({ type: 'encoding.unsupported' })?.refusal.error).toBe('unsupported_content_encoding');
    expect(bodyParserErrorRefusal({ type: 'request.aborted' })?.getStatus()).toBe(400);
    expect(bodyParserErrorRefusal({ type: 'request.size.invalid' })?.refusal.error).toBe('invalid_body');
  });

  it('leaves errors that are not about the request to the 500 handler', () => {
    expect(bodyParserErrorRefusal({ type: 'stream.encoding.set' })).toBeUndefined();
    expect(bodyParserErrorRefusal(new Error('boom'))).toBeUndefined();
  });

  it('names the depth limit', () => {
    expect(answer(tooDeepRefusal({ maxDepth: 32, offset: 44 }))).toEqual({
      status: 400,
      body: { error: 'json_too_deep', message: expect.stringMatching(/nested deeper than 32 levels .*\(HTTP_JSON_MAX_DEPTH\).*byte 44/) },
    });
  });
});

describe('unsafeTextRefusal', () => {
  it('names the field of the body (as validation_failed does) and the character, never the value', () => {
    const issue = findUnsafeText(JSON.parse('{"patientId":"MRN\\u0000","payer":{"payerId":"A"}}'));
    expect(answer(unsafeTextRefusal('body', issue ?? { path: '', message: '' }))).toEqual({
      status: 400,
      body: {
        error: 'invalid_text',
        message: 'body.patientId contains U+0000 (NUL) at index 3',
        issues: [{ path: 'patientId', message: 'contains U+0000 (NUL) at index 3' }],
      },
    });
  });

  it('prefixes URL parts and names a value that is itself unsafe', () => {
    expect(unsafeTextRefusal('query', { path: 'patient', message: 'contains U+0000 (NUL) at index 3' }).getResponse()).toEqual({
      error: 'invalid_text',
      message: 'query.patient contains U+0000 (NUL) at index 3',
      issues: [{ path: 'query.patient', message: 'contains U+0000 (NUL) at index 3' }],
    });
    expect(unsafeTextRefusal('body', { path: '(root)', message: 'contains U+D800 (unpaired surrogate) at index 0' }).refusal.message).toBe(
      'body contains U+D800 (unpaired surrogate) at index 0',
    );
  });

  it('says json_too_deep for nesting found after parsing', () => {
    expect(unsafeTextRefusal('body', { path: 'a.b', message: 'is nested deeper than 2 levels' }).refusal.error).toBe('json_too_deep');
  });
});
