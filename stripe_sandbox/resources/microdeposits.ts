import { snapshot } from '../core/diff.js'
import { docUrl, invalidRequest, paramError, type StripeError } from '../core/errors.js'
import { arr, hash, int, str } from '../core/params.js'
import { type Rec } from '../core/store.js'
import { type Obj, type Params } from '../core/types.js'
import { type Engine } from '../engine.js'
import { addBusinessDays } from '../calendar.js'
import { pageUrl } from '../hosted_pages.js'
import { setMandateStatus } from './mandates.js'
import { bankOf } from './us_bank_accounts.js'

/*
 * Microdeposit verification of a bank account entered by hand, for
 * SetupIntents and PaymentIntents alike (§11): the intent waits in
 * requires_action with next_action.verify_with_microdeposits until
 * POST …/verify_microdeposits gets Stripe's test values.
 *
 * | amounts | descriptor_code | result                                   |
 * |---------|-----------------|------------------------------------------|
 * | 32, 45  | SM11AA          | verified                                 |
 * | 10, 11  | SM33CC          | too many attempts: the intent fails      |
 * | 40, 41  | SM44DD          | verification timed out: the intent fails |
 * | other   | other           | 400 mismatch, with the attempts left     |
 *
 * Ten failed attempts in total also exceed the limit; an intent not verified
 * within 10 days times out; deposits to 000666666661 never arrive.
 */

export const MAX_ATTEMPTS = 10
export const VERIFICATION_WINDOW_SECONDS = 10 * 24 * 60 * 60

export const verifySpec = hash({ amounts: arr(int()), descriptor_code: str() })

interface MicrodepositState {
  attemptsLeft: number
  sentAt: number
  arrivalDate: number
}

const MESSAGES = {
  attemptsExceeded:
    'You have exceeded the number of allowed verification attempts. Collect the bank account ' +
    'details again and start a new verification.',
  timeout:
    'The microdeposits were not verified within 10 days. Collect the bank account details again ' +
    'and start a new verification.',
  failed:
    "The microdeposits could not be deposited into the customer's bank account. Check the " +
    'routing and account numbers.',
}

export const FAILURE_CODES = {
  attemptsExceeded: 'payment_method_microdeposit_verification_attempts_exceeded',
  timeout: 'payment_method_microdeposit_verification_timeout',
  failed: 'payment_method_microdeposit_failed',
} as const

type FailureKind = keyof typeof FAILURE_CODES

/** Sends the microdeposits: the intent now waits for the customer to verify them. */
export function startMicrodeposits(engine: Engine, intent: Rec, pm: Rec): void {
  const now = engine.now()
  const state: MicrodepositState = {
    attemptsLeft: MAX_ATTEMPTS,
    sentAt: now,
    arrivalDate: addBusinessDays(now, 1),
  }
  intent.x.microdeposits = state
  const o = intent.obj
  o.status = 'requires_action'
  o.payment_method = pm.id
  o.next_action = {
    type: 'verify_with_microdeposits',
    verify_with_microdeposits: {
      arrival_date: state.arrivalDate,
      hosted_verification_url: pageUrl(engine, 'microdeposits', intent),
      microdeposit_type: 'descriptor_code',
    },
  }
  if (intent.type === 'setup_intent') {
    engine.store.reindex(intent)
  }
  const job = { id: intent.id, sent: now }
  engine.schedule(now + VERIFICATION_WINDOW_SECONDS, 'microdeposits.timeout', job)
  if (bankOf(pm).failMicrodeposits) {
    engine.schedule(state.arrivalDate, 'microdeposits.failed', job)
  }
  engine.emitFor(intent, `${intent.type}.requires_action`)
}

function errorField(intent: Rec): string {
  return intent.type === 'setup_intent' ? 'last_setup_error' : 'last_payment_error'
}

/** The verification failed for good: the intent needs a new payment method. */
export function failVerification(engine: Engine, intent: Rec, kind: FailureKind): void {
  const o = intent.obj
  const pm = engine.store.get(o.payment_method)
  const code = FAILURE_CODES[kind]
  o.status = 'requires_payment_method'
  o.next_action = null
  o.payment_method = null
  o[errorField(intent)] = {
    code,
    doc_url: docUrl(code),
    message: MESSAGES[kind],
    payment_method: pm ? snapshot(pm.obj) : null,
    type: 'invalid_request_error',
  }
  intent.x.microdeposits = null
  setMandateStatus(
    engine,
    intent.type === 'setup_intent' ? o.mandate : intent.x.mandate,
    'inactive'
  )
  if (intent.type === 'setup_intent') {
    engine.store.reindex(intent)
    engine.emitFor(intent, 'setup_intent.setup_failed')
  } else {
    engine.emitFor(intent, 'payment_intent.payment_failed')
  }
  engine.markDirty()
}

function intentError(engine: Engine, intent: Rec, message: string, code: string): StripeError {
  const error = invalidRequest(message, {
    code,
    extra: { [intent.type]: snapshot(engine.render(intent)) },
  })
  // The attempt changed the intent (one attempt fewer, or failed): a retry
  // with the same idempotency key gets this same answer.
  error.stored = true
  return error
}

type Verdict = 'verified' | 'attemptsExceeded' | 'timeout' | 'mismatch'

function judge(params: Params): { verdict: Verdict; by: 'amounts' | 'descriptor_code' } {
  if (params.descriptor_code !== undefined && params.descriptor_code !== null) {
    const code = String(params.descriptor_code).toUpperCase()
    const verdicts: Record<string, Verdict> = {
      SM11AA: 'verified',
      SM33CC: 'attemptsExceeded',
      SM44DD: 'timeout',
    }
    return { verdict: verdicts[code] ?? 'mismatch', by: 'descriptor_code' }
  }
  const amounts: number[] = params.amounts
  const pair = [...amounts].sort((a, b) => a - b).join(',')
  const verdicts: Record<string, Verdict> = {
    '32,45': 'verified',
    '10,11': 'attemptsExceeded',
    '40,41': 'timeout',
  }
  return { verdict: verdicts[pair] ?? 'mismatch', by: 'amounts' }
}

function checkParams(params: Params): void {
  const hasAmounts = params.amounts !== undefined && params.amounts !== null
  const hasCode = params.descriptor_code !== undefined && params.descriptor_code !== null
  if (hasAmounts && hasCode) {
    throw paramError('You may only specify one of these parameters: amounts, descriptor_code.', {
      code: 'parameters_exclusive',
      param: 'amounts',
    })
  }
  if (!hasAmounts && !hasCode) {
    throw paramError('Missing required param: amounts or descriptor_code.', {
      code: 'parameter_missing',
      param: 'descriptor_code',
    })
  }
  if (hasAmounts) {
    const amounts: number[] = params.amounts
    if (amounts.length !== 2 || amounts.some((n) => n < 1 || n > 99)) {
      throw paramError(
        'Invalid amounts: give the two microdeposit amounts, in cents (two integers from 1 to 99).',
        { code: 'payment_method_microdeposit_verification_amounts_invalid', param: 'amounts' }
      )
    }
  }
}

/**
 * One verification attempt. On success `onVerified` continues the intent
 * (SetupIntent succeeds, PaymentIntent starts processing); every failure is
 * thrown as Stripe's 400 with the intent in the error.
 */
export function verifyMicrodeposits(
  engine: Engine,
  intent: Rec,
  params: Params,
  onVerified: (pm: Rec) => void
): void {
  const o = intent.obj
  const state: MicrodepositState | null = intent.x.microdeposits ?? null
  if (
    o.status !== 'requires_action' ||
    o.next_action?.type !== 'verify_with_microdeposits' ||
    !state
  ) {
    const label = intent.type === 'setup_intent' ? 'SetupIntent' : 'PaymentIntent'
    throw invalidRequest(
      `This ${label} has a status of ${o.status}; microdeposits can only be verified while it ` +
        'requires action to verify them.',
      {
        code: `${intent.type}_unexpected_state`,
        extra: { [intent.type]: snapshot(engine.render(intent)) },
      }
    )
  }
  checkParams(params)
  const pm = engine.store.get(o.payment_method)!
  if (bankOf(pm).failMicrodeposits) {
    // The deposits never arrived: there is nothing the customer could have read.
    failVerification(engine, intent, 'failed')
    throw intentError(engine, intent, MESSAGES.failed, FAILURE_CODES.failed)
  }
  const { verdict, by } = judge(params)
  if (verdict === 'verified') {
    intent.x.microdeposits = null
    bankOf(pm).verified = true
    engine.markDirty()
    onVerified(pm)
    return
  }
  if (verdict === 'mismatch') {
    state.attemptsLeft -= 1
    engine.markDirty()
    if (state.attemptsLeft > 0) {
      const left = `You have ${state.attemptsLeft} verification attempt${state.attemptsLeft === 1 ? '' : 's'} remaining.`
      throw by === 'amounts'
        ? intentError(
            engine,
            intent,
            `The amounts provided do not match the amounts that were sent to the bank account. ${left}`,
            'payment_method_microdeposit_verification_amounts_mismatch'
          )
        : intentError(
            engine,
            intent,
            `The verification code provided does not match the one that was sent to the bank account. ${left}`,
            'payment_method_microdeposit_verification_descriptor_code_mismatch'
          )
    }
  }
  const kind: FailureKind = verdict === 'timeout' ? 'timeout' : 'attemptsExceeded'
  failVerification(engine, intent, kind)
  throw intentError(engine, intent, MESSAGES[kind], FAILURE_CODES[kind])
}

export function registerMicrodeposits(engine: Engine): void {
  const stillWaiting = (id: unknown, sent: unknown): Rec | null => {
    const intent = engine.store.get(String(id))
    const state: MicrodepositState | null = intent?.x.microdeposits ?? null
    return intent && state && state.sentAt === sent ? intent : null
  }
  engine.onJob('microdeposits.timeout', (job) => {
    const intent = stillWaiting(job.data.id, job.data.sent)
    if (intent) {
      failVerification(engine, intent, 'timeout')
    }
  })
  engine.onJob('microdeposits.failed', (job) => {
    const intent = stillWaiting(job.data.id, job.data.sent)
    if (intent) {
      failVerification(engine, intent, 'failed')
    }
  })
}

/** For the hosted verification page: the state the customer sees. */
export function microdepositState(intent: Rec): Obj | null {
  return intent.x.microdeposits ?? null
}
