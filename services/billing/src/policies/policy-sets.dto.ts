import { z } from 'zod';
import { actionRequest } from '@slidecharge/service-kit';

export const PolicyVersionParam = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"');

export const CreatePolicySetRequest = actionRequest({
  /** The whole policy set (libs/billing-rules PolicySet): validated before it is stored. */
  policySet: z.record(z.string(), z.unknown()).describe('the whole policy set: policyVersion, requireQcPass, billablePurposes, requireDigitalSignOut, performer, payers'),
  comment: z.string().trim().min(3, 'say why the policy changes').max(500),
  /** Put it in force at once (default false: store it, activate later). */
  activate: z.boolean().default(false),
});
export type CreatePolicySetRequest = z.output<typeof CreatePolicySetRequest>;

export const ActivatePolicySetRequest = actionRequest({
  comment: z.string().trim().min(3, 'say why this version goes into force').max(500),
});
export type ActivatePolicySetRequest = z.output<typeof ActivatePolicySetRequest>;

export const PolicySetInfoView = z.object({
  policyVersion: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
  comment: z.string(),
  active: z.boolean().describe('whether charges are decided under this version now'),
  activations: z.array(z.object({ activatedAt: z.string(), activatedBy: z.string(), comment: z.string() })),
});

export type PolicySetInfoView = z.infer<typeof PolicySetInfoView>;

export const PolicySetListView = z.object({ items: z.array(PolicySetInfoView) });
export type PolicySetListView = z.infer<typeof PolicySetListView>;

export const PolicySetView = PolicySetInfoView.extend({
  policySet: z.record(z.string(), z.unknown()).describe('the policy set document as stored'),
});
export type PolicySetView = z.infer<typeof PolicySetView>;
