import { z } from 'zod';
import { TOPICS, TopicMessage, TopicName } from './topics';

export interface ContractIssue {
  path: string;
  message: string;
}

export type ContractResult<T> = { ok: true; value: T } | { ok: false; issues: ContractIssue[] };

/** Flattens zod issues into `path: message` pairs that a person can act on. */
export function describeIssues(error: z.ZodError): ContractIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

export function validate<S extends z.ZodType>(schema: S, value: unknown): ContractResult<z.output<S>> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: describeIssues(result.error) };
}

/** Validates a decoded message against the contract of the topic it was read from (or is written to). */
export function validateTopicMessage<T extends TopicName>(topic: T, value: unknown): ContractResult<TopicMessage<T>> {
  return validate(TOPICS[topic].schema, value) as ContractResult<TopicMessage<T>>;
}
