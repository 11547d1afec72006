import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { routeTemplateOf } from './http-tracing';
import { traceExportTarget } from './tracing';

describe('traceExportTarget', () => {
  it('exports nowhere when neither endpoint variable is set (or they are blank)', () => {
    expect(traceExportTarget({})).toBeUndefined();
    expect(traceExportTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' })).toBeUndefined();
  });

  it('appends /v1/traces to the general endpoint, as the OTLP specification says', () => {
    expect(traceExportTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
    expect(traceExportTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
  });

  it('takes the traces endpoint as given, before the general one', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.lab.example/otlp' };
    expect(traceExportTarget(env)).toBe('https://traces.lab.example/otlp');
  });
});

describe('routeTemplateOf', () => {
  const request = (over: { baseUrl?: string; route?: { path?: unknown } }) => Object.assign(new IncomingMessage(new Socket()), { url: '/slides/S26-000123-A1-1/qc' }, over);

  it('names the route template that answered, never the URL with its barcode', () => {
    expect(routeTemplateOf(request({ route: { path: '/slides/:barcode/qc' } }))).toBe('/slides/:barcode/qc');
    expect(routeTemplateOf(request({ baseUrl: '/fhir', route: { path: '/ChargeItem/:id' } }))).toBe('/fhir/ChargeItem/:id');
  });

  it('names nothing when no route answered (404, refused before routing) or the path is a pattern', () => {
    expect(routeTemplateOf(request({}))).toBeUndefined();
    expect(routeTemplateOf(request({ route: { path: /^\/slides/ } }))).toBeUndefined();
  });
});
