import { Controller, Get, Header, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { metricsRegistry } from '@slidecharge/messaging';

/** One dependency a service needs to do its work: Postgres, Kafka, its consumers, its outbox relay. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<Record<string, unknown> | void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

async function runCheck(c: ReadinessCheck, timeoutMs: number) {
  try {
    const details = await Promise.race([
      c.check(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return { name: c.name, status: 'up' as const, ...(details ?? {}) };
  } catch (e) {
    return { name: c.name, status: 'down' as const, error: (e as Error).message };
  }
}

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('health/live')
  @ApiOkResponse({ description: 'The process is up and its event loop answers.' })
  live() {
    return { status: 'up' };
  }

  @Get('health/ready')
  @ApiOkResponse({ description: 'Every dependency (Postgres, Kafka, consumers, outbox relay) is up.' })
  @ApiServiceUnavailableResponse({ description: 'At least one dependency is down; the body says which and why.' })
  async ready() {
    const results = await Promise.all(this.checks.map((c) => runCheck(c, 3000)));
    const body = { status: results.every((r) => r.status === 'up') ? 'up' : 'down', checks: results };
    if (body.status !== 'up') throw new ServiceUnavailableException(body);
    return body;
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOkResponse({ description: 'Prometheus metrics.' })
  metrics() {
    return metricsRegistry.metrics();
  }
}
