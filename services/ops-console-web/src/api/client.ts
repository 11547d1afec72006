import type { CaseTimeline, LagMeasure, LagSeries, LagWindow, OpsConsoleConfig, OpsOverview } from '@slidecharge/contracts/ops-console';
import { ApiError, type ErrorAnswer } from './errors';
import type {
  CasePage,
  ChargeView,
  DeadLetterDetail,
  DeadLetterReplayResult,
  DeadLetterState,
  DeliveryPage,
  DeliveryState,
  ListedDeadLetterPage,
  RescanPage,
  ReviewQueueFilter,
  ReviewQueuePage,
  UnmatchedScansPage,
  UnmatchedScanState,
} from './types';

/** Gives the current access token (renewed silently by the sign-in module). */
export type TokenSource = () => string | undefined;

let currentToken: TokenSource = () => undefined;

export function setTokenSource(source: TokenSource): void {
  currentToken = source;
}

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '');
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}

async function readAnswer(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { message: text.slice(0, 300) };
  }
}

async function call<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown; anonymous?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = currentToken();
  if (!init.anonymous && token) headers['authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const answer = await readAnswer(response);
  if (!response.ok) throw new ApiError(response.status, path, answer as ErrorAnswer | undefined);
  return answer as T;
}

const id = encodeURIComponent;

export const api = {
  config: () => call<OpsConsoleConfig>('/api/config', { anonymous: true }),
  overview: () => call<OpsOverview>('/api/overview'),
  chargeLag: (measure: LagMeasure, window: LagWindow) => call<LagSeries>(`/api/charge-lag${query({ measure, window })}`),

  reviewQueue: (filter: ReviewQueueFilter) => call<ReviewQueuePage>(`/api/review-queue${query({ payer: filter.payer, limit: filter.limit })}`),
  charge: (chargeId: string) => call<ChargeView>(`/api/charges/${id(chargeId)}`),
  release: (chargeId: string, justification: string) => call<ChargeView>(`/api/charges/${id(chargeId)}/release`, { method: 'POST', body: { justification } }),
  void: (chargeId: string, justification: string) => call<ChargeView>(`/api/charges/${id(chargeId)}/void`, { method: 'POST', body: { justification } }),

  deliveries: (state?: DeliveryState, accession?: string) => call<DeliveryPage>(`/api/deliveries${query({ state, accession })}`),
  retryDelivery: (deliveryId: string, justification: string) => call<unknown>(`/api/deliveries/${id(deliveryId)}/retry`, { method: 'POST', body: { justification } }),

  unmatchedScans: (state: UnmatchedScanState, scannerId?: string) => call<UnmatchedScansPage>(`/api/unmatched-scans${query({ state, scannerId })}`),
  dismissScan: (scanId: string, justification: string) => call<unknown>(`/api/unmatched-scans/${id(scanId)}/dismiss`, { method: 'POST', body: { justification } }),
  rescans: () => call<RescanPage>('/api/qc/rescans'),

  deadLetters: (service?: string, state?: DeadLetterState) => call<ListedDeadLetterPage>(`/api/dead-letters${query({ service, state })}`),
  deadLetter: (service: string, deadLetterId: string) => call<DeadLetterDetail>(`/api/dead-letters/${id(service)}/${id(deadLetterId)}`),
  replay: (service: string, deadLetterId: string, justification: string) =>
    call<DeadLetterReplayResult>(`/api/dead-letters/${id(service)}/${id(deadLetterId)}/replay`, { method: 'POST', body: { justification } }),

  cases: (search: string) => call<CasePage>(`/api/cases${query({ search })}`),
  timeline: (accessionNumber: string) => call<CaseTimeline>(`/api/cases/${id(accessionNumber)}/timeline`),
};
