import { z } from 'zod';

/**
 * The body of an action a person or machine takes (release, void, activate, retry, create a key...):
 * who acts is the signed-in caller (the token's subject), never a name in the body. A body that still
 * names an actor, or any other key the action does not take, is refused with a 400 that says why.
 */
export function actionRequest<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `not accepted: ${issue.keys.join(', ')} (who acts is taken from the sign-in, not from the body)` : undefined,
  });
}
