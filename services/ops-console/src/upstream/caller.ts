import type { CallerHeaders } from './upstream.service';

/** The headers of the caller's request the console forwards: its credential and trace context, nothing else. */
export function callerOf(request: { headers: Record<string, string | string[] | undefined> }): CallerHeaders {
  const first = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return { authorization: first('authorization'), traceparent: first('traceparent') };
}
