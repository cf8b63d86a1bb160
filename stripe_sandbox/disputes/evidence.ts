import { invalidRequest, paramError, resourceMissing } from '../core/errors.js'
import { dict, hash, str, type Spec } from '../core/params.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'

/*
 * A dispute's `evidence` hash (§15.5): text fields with Stripe's length
 * limits, file fields that name `dispute_evidence` uploads, and the two
 * test-mode strings that decide the outcome after submission.
 */

const LONG_TEXT = [
  'access_activity_log',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'duplicate_charge_explanation',
  'product_description',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'uncategorized_text',
] as const

const SHORT_TEXT = [
  'billing_address',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'duplicate_charge_id',
  'service_date',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_tracking_number',
] as const

const FILE_FIELDS = [
  'cancellation_policy',
  'customer_communication',
  'customer_signature',
  'duplicate_charge_documentation',
  'receipt',
  'refund_policy',
  'service_documentation',
  'shipping_documentation',
  'uncategorized_file',
] as const

/** All text fields together may not exceed this many characters. */
export const MAX_EVIDENCE_TEXT = 150_000

const props: Record<string, Spec> = { enhanced_evidence: dict() }
for (const key of LONG_TEXT) {
  props[key] = str(undefined, 20_000)
}
for (const key of SHORT_TEXT) {
  props[key] = str(undefined, 5_000)
}
for (const key of FILE_FIELDS) {
  props[key] = str()
}

/** The `evidence[...]` parameter of POST /v1/disputes/:id. */
export const evidenceSpec = hash(props)

const FIELDS = [...LONG_TEXT, ...SHORT_TEXT, ...FILE_FIELDS].sort()

/** A new dispute's evidence: every key present and null, as Stripe returns it. */
export function emptyEvidence(): Obj {
  const evidence: Obj = {}
  for (const key of FIELDS) {
    evidence[key] = null
  }
  evidence.enhanced_evidence = {}
  return evidence
}

/**
 * The evidence after an update: given fields replace staged ones, an empty
 * value unsets one (UNCONFIRMED: Stripe's docs do not say whether staged
 * updates merge; merging per field is the sandbox's choice). Checks file ids
 * and the combined text length; changes nothing.
 */
export function mergeEvidence(
  engine: Engine,
  account: string,
  current: Obj,
  update: Params | null
): Obj {
  const next: Obj = { ...current }
  for (const [key, value] of Object.entries(update ?? {})) {
    if (key === 'enhanced_evidence') {
      next.enhanced_evidence = value ?? {}
    } else {
      next[key] = value
    }
  }
  for (const key of FILE_FIELDS) {
    const id = update?.[key]
    if (typeof id === 'string') {
      assertEvidenceFile(engine, account, id, `evidence[${key}]`)
    }
  }
  let text = 0
  for (const key of [...LONG_TEXT, ...SHORT_TEXT]) {
    text += typeof next[key] === 'string' ? next[key].length : 0
  }
  if (text > MAX_EVIDENCE_TEXT) {
    throw paramError(
      `The evidence's text fields add up to ${text} characters; the maximum is ` +
        `${MAX_EVIDENCE_TEXT}.`,
      { param: 'evidence' }
    )
  }
  return next
}

/** A file evidence field must name a `dispute_evidence` upload of the same account. */
function assertEvidenceFile(engine: Engine, account: string, id: string, param: string): void {
  const rec = engine.store.get(id)
  if (!rec || rec.type !== 'file' || rec.acct !== account) {
    throw resourceMissing('file upload', id, param)
  }
  if (rec.obj.purpose !== 'dispute_evidence') {
    throw invalidRequest(
      `The file ${id} was uploaded with purpose ${rec.obj.purpose}; dispute evidence must be ` +
        'uploaded with purpose dispute_evidence.',
      { param }
    )
  }
}

/** Whether anything is staged (a field set, or enhanced evidence given). */
export function hasEvidence(evidence: Obj): boolean {
  return (
    FIELDS.some((key) => evidence[key] !== null && evidence[key] !== undefined) ||
    Object.keys(evidence.enhanced_evidence ?? {}).length > 0
  )
}

/**
 * Stripe's test-mode outcome strings, given as `uncategorized_text`: the
 * whole (trimmed) value must be the string. Anything else leaves the dispute
 * under review until it is decided (test helper) — as in test mode, where
 * ordinary evidence is never ruled on.
 */
export function outcomeOf(evidence: Obj): 'won' | 'lost' | null {
  const text = typeof evidence.uncategorized_text === 'string' ? evidence.uncategorized_text : ''
  switch (text.trim()) {
    case 'winning_evidence':
      return 'won'
    case 'losing_evidence':
      return 'lost'
    default:
      return null
  }
}
