import { Injectable } from '@nestjs/common';
import type { DeadLetterDetail, DeadLetterPage } from '@slidecharge/contracts';
import { DeadLetterReplayAnswer, SqlDeadLetterArchive } from '@slidecharge/messaging';
import { actorLabel, Principal } from '../auth/principal';
import { ServiceRuntime } from '../runtime';
import { ListDeadLettersQuery } from './dead-letters.dto';

/** Raised for an id the service has no dead letter under (the controller answers 404). */
export class DeadLetterNotFoundError extends Error {
  constructor(id: string) {
    super(`no dead letter ${id}`);
  }
}

/**
 * The dead letters of a consuming service for lab staff: list them (no message body), read one with
 * its original, replay one through the consumer that dead-lettered it, as the signed-in caller.
 */
@Injectable()
export class DeadLettersService {
  constructor(private readonly runtime: ServiceRuntime) {}

  list(query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    return this.archive().list(query);
  }

  async detail(id: string): Promise<DeadLetterDetail> {
    return (await this.archive().detail(id)) ?? notFound(id);
  }

  async replay(id: string, principal: Principal, justification: string): Promise<DeadLetterReplayAnswer> {
    return (await this.runtime.replayDeadLetter(id, { by: actorLabel(principal), justification })) ?? notFound(id);
  }

  private archive(): SqlDeadLetterArchive {
    const archive = this.runtime.deadLetters;
    if (!archive) throw new Error('this service keeps no dead letters (serviceModule deadLetterSchema)');
    return archive;
  }
}

function notFound(id: string): never {
  throw new DeadLetterNotFoundError(id);
}
