import { type Rec } from './core/store.js'
import { type Obj } from './core/types.js'

/*
 * Custom-account verification. Stripe's documented test values (§8.4 of the
 * fact sheet) decide each outcome; checks that Stripe runs asynchronously
 * resolve after the sandbox's verification delay (settings.ts: a few
 * seconds of sandbox time, as in Stripe's test mode). Requirements,
 * capability statuses and the enabled flags are always recomputed from what
 * has been provided plus the state of these checks, never edited by hand.
 */

export type CheckName = 'identity' | 'address' | 'document' | 'additionalDocument'

export interface Check {
  status: 'none' | 'pending' | 'verified' | 'failed'
  /** fingerprint of the inputs last checked: unchanged inputs are not rechecked */
  inputs: string
  gen: number
  outcome?: 'verified' | 'failed'
  code?: string
  reason?: string
}

export interface CheckStart {
  name: CheckName
  immediate: boolean
}

const MAGIC_DOCUMENT_SUCCESS = 'file_identity_document_success'
const MAGIC_DOCUMENT_FAILURE = 'file_identity_document_failure'

export const MAGIC_FILES = new Set([MAGIC_DOCUMENT_SUCCESS, MAGIC_DOCUMENT_FAILURE])

const REASONS = {
  idNumber:
    'The ID number provided could not be verified. Upload a government-issued identity ' +
    'document to verify the identity of this person.',
  keyed:
    'The identity information you entered cannot be verified. Please correct any errors or ' +
    'upload a document that matches the identity fields (e.g., name and date of birth) that ' +
    'you entered.',
  address:
    'The address you entered could not be verified. Please upload a document that proves ' +
    'this address (e.g., a utility bill).',
  testDocument: 'A test data helper was supplied to simulate verification failure.',
}

export function emptyChecks(): Record<CheckName, Check> {
  const check = (): Check => ({ status: 'none', inputs: '', gen: 0 })
  return {
    identity: check(),
    address: check(),
    document: check(),
    additionalDocument: check(),
  }
}

interface Outcome {
  ok: boolean
  immediate: boolean
  code?: string
  reason?: string
}

function dobString(dob: Obj | null | undefined): string | null {
  if (!dob || dob.day === null || dob.month === null || dob.year === null) {
    return null
  }
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${dob.year}-${pad(dob.month)}-${pad(dob.day)}`
}

/** What each check looks at, and what the test values make of it. */
function evaluate(name: CheckName, account: Rec): { inputs: string; outcome: Outcome } | null {
  const person: Obj | undefined = account.obj.individual
  if (!person) {
    return null
  }
  const hidden = account.x.secrets ?? {}
  switch (name) {
    case 'identity': {
      const dob = dobString(person.dob)
      const idNumber: string | undefined = hidden.id_number
      const ssn: string | undefined = hidden.ssn_last_4
      if (!person.first_name || !person.last_name || !dob || (!idNumber && !ssn)) {
        return null
      }
      const inputs = JSON.stringify([person.first_name, person.last_name, dob, idNumber, ssn])
      const immediate = dob === '1902-01-01' || idNumber === '222222222'
      if (idNumber === '111111111') {
        const failure = { code: 'verification_failed_id_number_match', reason: REASONS.idNumber }
        return { inputs, outcome: { ok: false, immediate, ...failure } }
      }
      if (dob !== '1901-01-01' && dob !== '1902-01-01') {
        const failure = { code: 'verification_failed_keyed_identity', reason: REASONS.keyed }
        return { inputs, outcome: { ok: false, immediate, ...failure } }
      }
      return { inputs, outcome: { ok: true, immediate } }
    }
    case 'address': {
      const address = person.address ?? {}
      if (!address.line1 || !address.city || !address.postal_code || !address.state) {
        return null
      }
      const inputs = JSON.stringify([
        address.line1,
        address.line2,
        address.city,
        address.postal_code,
        address.state,
      ])
      const immediate = address.line1 === 'address_full_match_sync'
      if (address.line1 === 'address_no_match' || address.line1 === 'address_line1_no_match') {
        const failure = { code: 'verification_failed_address_match', reason: REASONS.address }
        return { inputs, outcome: { ok: false, immediate, ...failure } }
      }
      return { inputs, outcome: { ok: true, immediate } }
    }
    case 'document':
    case 'additionalDocument': {
      const key = name === 'document' ? 'document' : 'additional_document'
      const doc = person.verification?.[key]
      if (!doc?.front) {
        return null
      }
      const inputs = JSON.stringify([doc.front, doc.back])
      const files = [doc.front, doc.back]
      if (files.includes(MAGIC_DOCUMENT_FAILURE)) {
        const failure = { code: 'verification_document_failed_test_mode' }
        return {
          inputs,
          outcome: { ok: false, immediate: true, ...failure, reason: REASONS.testDocument },
        }
      }
      // Stripe's "verified" test image resolves at once; a real upload is reviewed.
      return { inputs, outcome: { ok: true, immediate: doc.front === MAGIC_DOCUMENT_SUCCESS } }
    }
  }
}

const CHECK_NAMES: CheckName[] = ['identity', 'address', 'document', 'additionalDocument']

/**
 * Starts every check whose inputs are complete and changed since the last
 * run. Immediate outcomes are applied now; the others become `pending` and
 * the caller schedules their resolution.
 */
export function startChecks(account: Rec): CheckStart[] {
  const checks: Record<CheckName, Check> = account.x.checks
  const started: CheckStart[] = []
  for (const name of CHECK_NAMES) {
    const check = checks[name]
    const evaluated = evaluate(name, account)
    if (!evaluated) {
      if (check.status !== 'none' && name !== 'identity' && name !== 'address') {
        // a document was removed
        checks[name] = { status: 'none', inputs: '', gen: check.gen + 1 }
      }
      continue
    }
    if (evaluated.inputs === check.inputs) {
      continue
    }
    const { outcome } = evaluated
    const next: Check = {
      status: 'pending',
      inputs: evaluated.inputs,
      gen: check.gen + 1,
      outcome: outcome.ok ? 'verified' : 'failed',
      code: outcome.code,
      reason: outcome.reason,
    }
    if (outcome.immediate) {
      next.status = next.outcome!
    }
    checks[name] = next
    started.push({ name, immediate: outcome.immediate })
  }
  return started
}

/** Resolves a pending check (scheduled job); false when it was superseded meanwhile. */
export function resolveCheck(account: Rec, name: CheckName, gen: number): boolean {
  const check: Check = account.x.checks[name]
  if (check.gen !== gen || check.status !== 'pending') {
    return false
  }
  check.status = check.outcome ?? 'verified'
  return true
}

export interface RequirementsState {
  requirements: Obj
  capabilityStatus: 'inactive' | 'pending' | 'active'
  missingInformation: boolean
  personStatus: 'unverified' | 'pending' | 'verified'
}

const INDIVIDUAL_FIELDS: Array<[string, (p: Obj) => unknown]> = [
  ['individual.address.city', (p) => p.address?.city],
  ['individual.address.line1', (p) => p.address?.line1],
  ['individual.address.postal_code', (p) => p.address?.postal_code],
  ['individual.address.state', (p) => p.address?.state],
  ['individual.dob.day', (p) => p.dob?.day],
  ['individual.dob.month', (p) => p.dob?.month],
  ['individual.dob.year', (p) => p.dob?.year],
  ['individual.email', (p) => p.email],
  ['individual.first_name', (p) => p.first_name],
  ['individual.last_name', (p) => p.last_name],
  ['individual.phone', (p) => p.phone],
]

const COMPANY_FIELDS: Array<[string, (c: Obj) => unknown]> = [
  ['company.address.city', (c) => c.address?.city],
  ['company.address.line1', (c) => c.address?.line1],
  ['company.address.postal_code', (c) => c.address?.postal_code],
  ['company.address.state', (c) => c.address?.state],
  ['company.name', (c) => c.name],
  ['company.phone', (c) => c.phone],
  ['company.tax_id', (c) => c.tax_id_provided],
]

/** Computes `requirements` (Stripe's lists) from provided fields and check states. */
export function computeRequirements(account: Rec, hasExternalAccount: boolean): RequirementsState {
  const obj = account.obj
  const checks: Record<CheckName, Check> = account.x.checks
  const due: string[] = []
  const pending: string[] = []
  const errors: Obj[] = []
  const alternatives: Obj[] = []

  if (!obj.business_profile?.mcc) {
    due.push('business_profile.mcc')
  }
  if (!obj.business_profile?.url && !obj.business_profile?.product_description) {
    due.push('business_profile.url')
    alternatives.push({
      alternative_fields_due: ['business_profile.product_description'],
      original_fields_due: ['business_profile.url'],
    })
  }
  if (!obj.business_type) {
    due.push('business_type')
  }
  if (!hasExternalAccount) {
    due.push('external_account')
  }
  if (obj.business_type === 'individual') {
    const person: Obj = obj.individual ?? {}
    for (const [field, get] of INDIVIDUAL_FIELDS) {
      if (get(person) === null || get(person) === undefined || get(person) === '') {
        due.push(field)
      }
    }
    if (!person.ssn_last_4_provided && !person.id_number_provided) {
      due.push('individual.ssn_last_4')
      alternatives.push({
        alternative_fields_due: ['individual.id_number'],
        original_fields_due: ['individual.ssn_last_4'],
      })
    }
  } else if (obj.business_type) {
    const company: Obj = obj.company ?? {}
    for (const [field, get] of COMPANY_FIELDS) {
      if (!get(company)) {
        due.push(field)
      }
    }
  }
  if (!obj.tos_acceptance?.date) {
    due.push('tos_acceptance.date')
  }
  if (!obj.tos_acceptance?.ip) {
    due.push('tos_acceptance.ip')
  }
  const missingInformation = due.length > 0

  if (obj.business_type === 'individual') {
    const idField = obj.individual?.id_number_provided
      ? 'individual.id_number'
      : 'individual.ssn_last_4'
    const { identity, address, document, additionalDocument } = checks
    if (identity.status === 'pending') {
      pending.push('individual.dob.day', 'individual.dob.month', 'individual.dob.year', idField)
    }
    // A verified identity document wins over keyed-in data that did not match.
    if (document.status === 'pending') {
      pending.push('individual.verification.document')
    } else if (document.status === 'failed') {
      due.push('individual.verification.document')
      errors.push(error('individual.verification.document', document))
    } else if (identity.status === 'failed' && document.status !== 'verified') {
      due.push('individual.verification.document')
      errors.push(error('individual.verification.document', identity))
    }
    if (address.status === 'pending') {
      pending.push(
        'individual.address.city',
        'individual.address.line1',
        'individual.address.postal_code',
        'individual.address.state'
      )
    }
    if (additionalDocument.status === 'pending') {
      pending.push('individual.verification.additional_document')
    } else if (additionalDocument.status === 'failed') {
      due.push('individual.verification.additional_document')
      errors.push(error('individual.verification.additional_document', additionalDocument))
    } else if (address.status === 'failed' && additionalDocument.status !== 'verified') {
      due.push('individual.verification.additional_document')
      errors.push(error('individual.verification.additional_document', address))
    }
  }

  due.sort()
  pending.sort()
  let capabilityStatus: RequirementsState['capabilityStatus'] = 'active'
  let disabledReason: string | null = null
  if (due.length > 0) {
    capabilityStatus = 'inactive'
    disabledReason = 'requirements.past_due'
  } else if (pending.length > 0) {
    capabilityStatus = 'pending'
    disabledReason = 'requirements.pending_verification'
  }
  let personStatus: RequirementsState['personStatus'] = 'unverified'
  if (obj.business_type === 'individual') {
    const identityOk =
      checks.identity.status === 'verified' || checks.document.status === 'verified'
    if (identityOk && !due.some((f) => f.startsWith('individual.'))) {
      personStatus = pending.length > 0 ? 'pending' : 'verified'
    } else if (pending.length > 0) {
      personStatus = 'pending'
    }
  }
  return {
    requirements: {
      alternatives,
      current_deadline: null,
      currently_due: due,
      disabled_reason: disabledReason,
      errors,
      eventually_due: [...due],
      past_due: [...due],
      pending_verification: pending,
    },
    capabilityStatus,
    missingInformation,
    personStatus,
  }
}

function error(requirement: string, check: Check): Obj {
  return {
    code: check.code ?? 'verification_failed_other',
    reason: check.reason ?? '',
    requirement,
  }
}
