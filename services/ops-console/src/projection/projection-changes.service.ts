import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { ChargeActivity } from '@slidecharge/contracts';

/** Something the read model took: a new fact, and the charge or credit it was, if any. */
export interface ProjectionChange {
  topic: string;
  activity?: ChargeActivity;
}

/** The read model's changes as they are committed, for the live stream (in-process, one instance). */
@Injectable()
export class ProjectionChanges implements OnApplicationShutdown {
  private readonly subject = new Subject<ProjectionChange>();

  readonly changes: Observable<ProjectionChange> = this.subject.asObservable();

  emit(change: ProjectionChange): void {
    this.subject.next(change);
  }

  onApplicationShutdown(): void {
    this.subject.complete();
  }
}
