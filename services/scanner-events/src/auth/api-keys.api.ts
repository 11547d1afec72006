import { z } from 'zod';
import { ApiKeyId, Scope, SCOPES } from './api-key';

/** Request and answer shapes of the /api-keys endpoints (validation and OpenAPI from the same schemas). */

export const CreateApiKeyRequest = z.object({
  name: z.string().trim().min(1).max(100).describe('Who uses the key, e.g. "Sectra IMS, main lab" or "GT450 middleware".'),
  scopes: z
    .array(Scope)
    .min(1, 'needs at least one scope')
    .refine((list) => new Set(list).size === list.length, 'each scope once')
    .describe(`What the key may do: ${SCOPES.join(', ')}.`),
});
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

export const ApiKeyView = z.object({
  id: z.string().describe('Public key id (the <id> in sck_<id>_<secret>).'),
  name: z.string(),
  scopes: z.array(Scope),
  createdAt: z.string(),
  createdBy: z.string().describe('"bootstrap-admin", "config" (SCANNER_DEV_API_KEY) or the id of the admin key that made it.'),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  lastUsedAt: z.string().nullable().describe('Last accepted request (to the minute).'),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

export const CreatedApiKey = ApiKeyView.extend({
  apiKey: z.string().describe('The key. Shown only in this answer: only its hash is stored.'),
});
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyList = z.object({ items: z.array(ApiKeyView).describe('Newest first, revoked keys included.') });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

export const ApiKeyIdParam = ApiKeyId;
