import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import User from '#models/user'
import UserProfile from '#models/user_profile'
import type PaymentRequest from '#models/payment_request'
import Payment, { type MandateAcceptance } from '#models/payment'
import type { Actor } from '#domain/actor'
import { DomainError } from '#exceptions/domain_error'
import { recordPaymentEvent } from '#services/payment_events'
import { formatAmount } from '#money/amounts'
import { CURRENCIES } from '#money/currencies'
import { platformFee } from '#money/fees'
import { sendToStripe, type WriteOutcome } from '#stripe/write'
import { requireStripeCustomer } from '#actions/billing/ensure_customer'
import { authorizePayment } from '#actions/payments/authorize_payment'
import { requestTotals, type RequestTotals } from '#domain/payment_request_summary'
import { FieldRefusal } from '#actions/payment_requests/field_refusal'
import {
  isAddressedEmployer,
  lockRequest,
  paymentsOf,
} from '#actions/payment_requests/request_parts'
import {
  newCardOf,
  savedMethodOf,
  type PayableMethod,
} from '#actions/payment_requests/payment_methods'

/*
|--------------------------------------------------------------------------
| Paying a request (all of it, or a part)
|--------------------------------------------------------------------------
|
| 1. The payment method is checked with Stripe (the employer's own saved card
|    or bank account, or a card entered now), outside any lock.
| 2. Under the request's row lock: the same form sent again is the payment it
|    already made; otherwise the amount is checked against what can be paid
|    now (amount − paid − payments still on their way) and the minimum, and
|    the payment is written pending with its fee (the request's fee plan).
|    Two payments of the whole balance queue on the lock: the second sees the
|    first and is refused.
| 3. After commit it is sent like any payment (`authorizePayment`, the key
|    "payment:<id>:<uuid>:authorize"): a destination charge to the
|    contractor, captured at once. A lost answer leaves it pending: the
|    send_pending_writes job (or reconciliation) completes it with the same
|    key, and it keeps counting against the balance meanwhile.
|
*/

export type PayMethodChoice =
  /** A saved card or bank account (pm_…), or "default": the employer's default card */
  | {
      kind: 'saved'
      paymentMethodId: string
      /** From the page: a pm_… that is not saved is a card entered now (DESIGN.md's one field) */
      orNew?: boolean
    }
  /** A card entered now; `save` keeps it on the employer's customer (setup_future_usage) */
  | { kind: 'new'; paymentMethodId: string; save: boolean }

export interface PayInput {
  /** Minor units of the request's currency */
  amount: number
  method: PayMethodChoice
  /** The payment form's token: the same form sent twice is one payment */
  formToken?: string | null
  /** The employer (on the page), or an admin paying on their behalf */
  actor: Actor
  /**
   * How a bank debit is authorized: online (the employer ticked the
   * authorization on the page: their IP and browser) or offline (they asked
   * an admin). Required for a bank account.
   */
  mandate?: MandateAcceptance | null
}

export interface PayOutcome {
  payment: Payment
  outcome: WriteOutcome<Payment>['kind']
  /** The same form was sent before: this is the payment it made */
  repeated: boolean
}

/** Why an amount cannot be paid now, or null: ≤ what can be paid, ≥ the minimum, no dust left */
export function amountProblem(request: PaymentRequest, totals: RequestTotals, amount: number) {
  const money = (value: number) => formatAmount(value, request.currency)
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    return 'Enter an amount more than zero.'
  }
  if (totals.balanceDue === 0) {
    if (totals.awaitingAuthentication > 0) {
      return (
        `Nothing can be paid right now: ${money(totals.awaitingAuthentication)} is waiting for ` +
        'your bank’s confirmation. Continue it, or cancel it to pay another way.'
      )
    }
    return totals.inFlight > 0
      ? `Nothing can be paid right now: ${money(totals.inFlight)} is already being paid.`
      : 'Nothing is left to pay on this request.'
  }
  if (amount > totals.balanceDue) {
    return (
      `You can pay at most the balance due, ${money(totals.balanceDue)}.` +
      (totals.awaitingAuthentication > 0
        ? ` ${money(totals.awaitingAuthentication)} is waiting for your bank’s confirmation.`
        : '')
    )
  }
  const minimum = Math.min(
    Math.max(request.minimumPayment ?? 0, CURRENCIES[request.currency].minimumCharge),
    totals.balanceDue
  )
  if (amount < minimum) {
    return (
      `Pay at least ${money(minimum)}` +
      (amount < totals.balanceDue ? ' (or the whole balance due).' : '.')
    )
  }
  // A part that leaves less than a payment can be (Stripe's minimum charge) could never be paid off
  const left = totals.balanceDue - amount
  const stripeMinimum = CURRENCIES[request.currency].minimumCharge
  if (left > 0 && left < stripeMinimum) {
    return (
      `This would leave ${money(left)}, less than the smallest payment possible ` +
      `(${money(stripeMinimum)}): pay ${money(totals.balanceDue)} or at most ` +
      `${money(totals.balanceDue - stripeMinimum)}.`
    )
  }
  return null
}

async function methodFor(employer: User, customerId: string, choice: PayMethodChoice) {
  if (choice.kind === 'new') {
    return newCardOf(customerId, choice.paymentMethodId)
  }
  try {
    return await savedMethodOf(employer, customerId, choice.paymentMethodId)
  } catch (error) {
    if (!(error instanceof DomainError) || !choice.orNew || choice.paymentMethodId === 'default') {
      throw error
    }
    // Not one of theirs: a card entered now, never one attached to someone else
    return newCardOf(customerId, choice.paymentMethodId)
  }
}

function assertMethodFits(request: PaymentRequest, method: PayableMethod, input: PayInput) {
  if (method.type !== 'us_bank_account') {
    return
  }
  if (request.currency !== 'usd') {
    throw DomainError.invalid(
      `A bank account pays in US dollars only; this request is in ${request.currency.toUpperCase()}: pay it by card.`
    )
  }
  if (!input.mandate) {
    throw new FieldRefusal(
      'authorize_debit',
      'Tick the box to authorize the debit from your bank account.'
    )
  }
}

/** The employer's payment of `amount` (see the top of the file) */
export async function payRequest(
  request: PaymentRequest,
  employer: User,
  input: PayInput
): Promise<PayOutcome> {
  if (!isAddressedEmployer(request, employer)) {
    throw DomainError.notFound('Payment request not found.')
  }
  const twin = await formTwin(request.id, input.formToken)
  if (twin) {
    // The first submit sends it and records the answer
    return { payment: twin, outcome: 'recorded', repeated: true }
  }
  if (request.status === 'void') {
    throw DomainError.conflict('This request was canceled: it cannot be paid.')
  }
  const customerId = await requireStripeCustomer(employer)
  const method = await methodFor(employer, customerId, input.method)
  assertMethodFits(request, method, input)
  const fee = platformFee(input.amount, request.feePlan)
  // The employer on the page is present: a card (new or saved) is confirmed
  // on session, so a bank asking for 3-D Secure sends them to its page; an
  // admin paying for them (the console) charges off session
  const onSession = input.actor.kind === 'employer'

  const written = await db.transaction(async (trx) => {
    const locked = await lockRequest(trx, request.id)
    const earlier = await formTwin(locked.id, input.formToken, trx)
    if (earlier) {
      return { payment: earlier, repeated: true }
    }
    if (locked.status === 'void') {
      throw DomainError.conflict('This request was canceled: it cannot be paid.')
    }
    const totals = requestTotals(locked, await paymentsOf(locked.id, trx))
    const problem = amountProblem(locked, totals, input.amount)
    if (problem) {
      throw new FieldRefusal('amount', problem)
    }
    if (locked.employerId === null) {
      locked.useTransaction(trx)
      locked.employerId = employer.id
      await locked.save()
    }
    const payment = await writePayment(trx, locked, employer, {
      input,
      method,
      fee,
      onSession,
      totals,
    })
    return { payment, repeated: false }
  })
  if (written.repeated) {
    return { payment: written.payment, outcome: 'recorded', repeated: true }
  }
  return send(written.payment)
}

async function formTwin(
  requestId: number,
  formToken: string | null | undefined,
  trx?: TransactionClientContract
) {
  if (!formToken) {
    return null
  }
  return Payment.query(trx ? { client: trx } : {})
    .where('paymentRequestId', requestId)
    .where('formToken', formToken)
    .first()
}

async function writePayment(
  trx: TransactionClientContract,
  request: PaymentRequest,
  employer: User,
  decided: {
    input: PayInput
    method: PayableMethod
    fee: number
    onSession: boolean
    totals: RequestTotals
  }
) {
  const { input, method, fee, onSession, totals } = decided
  const payment = await Payment.create(
    {
      orderId: null,
      paymentRequestId: request.id,
      employerId: employer.id,
      methodType: method.type,
      paymentMethodId: method.id,
      methodBrand: method.brand.slice(0, 60),
      methodLast4: method.last4.slice(0, 4),
      flow: 'destination',
      amount: input.amount,
      currency: request.currency,
      applicationFeeAmount: fee,
      status: 'pending',
      formToken: input.formToken ?? null,
      onSession,
      setupFutureUsage: input.method.kind === 'new' && input.method.save ? 'off_session' : null,
      mandateAcceptance: method.type === 'us_bank_account' ? (input.mandate ?? null) : null,
    },
    { client: trx }
  )
  const money = (value: number) => formatAmount(value, request.currency)
  await recordPaymentEvent(trx, {
    paymentRequestId: request.id,
    paymentId: payment.id,
    actor: input.actor.label,
    type: 'payment_request.payment_started',
    toStatus: 'pending',
    amount: input.amount,
    currency: request.currency,
    message:
      `${money(input.amount)} of the ${money(totals.balanceDue)} due, by ` +
      `${method.type === 'us_bank_account' ? 'bank debit' : 'card'} (${method.label}); ` +
      `platform fee ${money(fee)}`,
  })
  return payment
}

/**
 * Sends a pending payment to Stripe (again: a retry first looks for what an
 * earlier attempt made); one already answered is returned as it is.
 */
async function send(payment: Payment, retry = false): Promise<PayOutcome> {
  if (payment.status !== 'pending') {
    return { payment, outcome: 'recorded', repeated: retry }
  }
  const outcome = await sendToStripe(authorizePayment, payment, {
    lookFirst: retry,
    writtenAt: payment.createdAt,
  })
  await payment.refresh()
  return { payment, outcome: outcome.kind, repeated: retry }
}

/** A request payment whose answer was lost, sent again with its own key (jobs, console re-runs) */
export function resendRequestPayment(payment: Payment) {
  return send(payment, true)
}

/** The employer a request is paid for, from the console: the addressed one, who must exist */
export async function payerOf(request: PaymentRequest) {
  const employer = request.employerId
    ? await User.find(request.employerId)
    : await User.findBy('email', request.employerEmail)
  if (!employer || employer.role !== 'employer') {
    throw DomainError.conflict(
      `${request.employerEmail} has no employer account yet: they must sign up before anything can be paid.`
    )
  }
  const profile = await UserProfile.findBy('userId', employer.id)
  if (!profile?.stripeId) {
    throw DomainError.conflict(
      `${employer.email} has no Stripe customer yet: nothing is saved to pay with.`
    )
  }
  return employer
}
