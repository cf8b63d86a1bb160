import { invalidRequest } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { type Rec } from '../core/store.js'
import { type Obj } from '../core/types.js'
import { type Engine } from '../engine.js'
import { addTxn } from '../ledger.js'
import { emptyEvidence, outcomeOf } from './evidence.js'
import { disputeProfileFor, type DisputeProfile } from './test_cards.js'

/*
 * The dispute state machine (§15.2) and the money it moves (§15.3):
 *
 *   chargeback  needs_response → under_review → won | lost   (close → lost)
 *   inquiry     warning_needs_response → warning_under_review → warning_closed
 *
 * A chargeback debits the account that owns the charge — the platform for
 * destination charges and separate charges & transfers — at once, by one
 * `adjustment` balance transaction: −amount, plus the dispute fee in `fee`.
 * A win puts the amount (and the fee) back by a second one. Nothing happens
 * to transfers, connected accounts or application fees.
 */

const DAY = 24 * 60 * 60

/**
 * Dispute fee by settlement currency, minor units. USD $15.00 is documented;
 * the other figures are Stripe's published local prices as far as known
 * (UNCONFIRMED). Other currencies: 1500 minor units.
 */
export const DISPUTE_FEES: Record<string, number> = {
  usd: 1500,
  cad: 1500,
  aud: 2500,
  eur: 2000,
  gbp: 2000,
  jpy: 1500,
}

/**
 * Whether a won dispute also gives the fee back. Stripe's own pages
 * disagree; test mode credits it ("the charge amount and related fees"), so
 * the sandbox does (UNCONFIRMED for live mode).
 */
export const FEE_RETURNED_ON_WIN = true

/** Test-mode outcome strings are ruled on this long after submission (sandbox seconds). */
export const OUTCOME_DELAY_SECONDS = 60

/** Statuses after which nothing but metadata can change. */
export const CLOSED_STATUSES = new Set(['won', 'lost', 'warning_closed', 'prevented'])

export const ALREADY_CLOSED = 'This dispute is already closed'

export function disputeFee(currency: string): number {
  return DISPUTE_FEES[currency] ?? 1500
}

/** Evidence is due at the end of the UTC day, eight days after the dispute opened. */
export function dueByFor(created: number): number {
  const day = Math.floor((created + 8 * DAY) / DAY)
  return day * DAY + DAY - 1
}

export function isInquiry(dispute: Obj): boolean {
  return dispute.payment_method_details?.card?.case_type === 'inquiry'
}

/** Disputes of a charge, oldest first. */
export function disputesOf(engine: Engine, charge: Rec): readonly Rec[] {
  return engine.store.list(`dispute|${charge.acct}|charge=${charge.id}`)
}

/**
 * Refunds are refused while a chargeback is open or after it was lost
 * (§15.8); inquiries and won disputes leave the charge refundable.
 */
export function assertRefundAllowed(engine: Engine, charge: Rec): void {
  if (disputesOf(engine, charge).some((d) => !d.obj.is_charge_refundable)) {
    throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, {
      code: 'charge_disputed',
    })
  }
}

/** The part of a captured charge that has been refunded (not the released rest of a hold). */
function refundedPart(charge: Obj): number {
  return charge.amount_refunded - (charge.amount - charge.amount_captured)
}

/** Why a charge cannot be disputed, or null. */
export function undisputable(charge: Rec): string | null {
  const c = charge.obj
  if (charge.type !== 'charge' || c.status !== 'succeeded' || !c.captured) {
    return `Charge ${charge.id} has not succeeded and been captured, so it cannot be disputed.`
  }
  if (refundedPart(c) >= c.amount_captured) {
    return `Charge ${charge.id} has been fully refunded, so it can no longer be disputed.`
  }
  return null
}

/**
 * Test cards and test PaymentMethods that are disputed after capture: the
 * dispute opens on the sandbox clock, right after the capture that made the
 * charge succeed (Stripe: about half a second later). Payment methods of
 * other types call this with their test id when their charge succeeds.
 */
export function scheduleTestDispute(
  engine: Engine,
  charge: Rec,
  testPaymentMethod: string | null | undefined
): void {
  if (disputeProfileFor(testPaymentMethod)) {
    engine.schedule(engine.now(), 'dispute.open', {
      charge: charge.id,
      profile: testPaymentMethod!,
    })
  }
}

/**
 * Opens a dispute on a captured charge: the object, `charge.disputed`, the
 * withdrawal for a chargeback, the events, and the automatic loss when the
 * evidence is not in by `due_by`.
 */
export function openDispute(
  engine: Engine,
  charge: Rec,
  profile: DisputeProfile,
  amount: number = charge.obj.amount_captured
): Rec {
  const c = charge.obj
  const now = engine.now()
  const id = newId('du')
  const inquiry = profile.caseType === 'inquiry'
  const brand = c.payment_method_details?.card?.brand ?? 'visa'
  const dueBy = profile.bankDebit ? null : dueByFor(now)
  // A partially refunded charge can be disputed for more than is left: if the
  // dispute is not won, the part already refunded comes back (§15.3).
  const refunded = refundedPart(c)
  const overlap = Math.min(refunded, Math.max(0, amount - (c.amount_captured - refunded)))
  const dispute = engine.create(
    'dispute',
    charge.acct,
    charge.plat,
    {
      id,
      object: 'dispute',
      amount,
      balance_transactions: [],
      charge: charge.id,
      created: now,
      currency: c.currency,
      enhanced_eligibility_types: [],
      evidence: emptyEvidence(),
      evidence_details: {
        due_by: dueBy,
        enhanced_eligibility: {},
        has_evidence: false,
        past_due: false,
        submission_count: 0,
        submission_method: 'not_submitted',
      },
      intended_submission_method: null,
      is_charge_refundable: inquiry,
      livemode: false,
      metadata: {},
      payment_intent: c.payment_intent ?? null,
      // ACH disputes have no card details (UNCONFIRMED: Stripe's enum has no us_bank_account)
      payment_method_details: profile.bankDebit
        ? null
        : {
            card: {
              brand,
              case_type: profile.caseType,
              network: brand,
              network_reason_code: profile.networkReasonCode,
            },
            type: 'card',
          },
      reason: profile.reason,
      status: inquiry ? 'warning_needs_response' : 'needs_response',
    },
    { overlap }
  )
  c.disputed = true
  engine.markDirty()
  if (inquiry) {
    engine.emitFor(dispute, 'charge.dispute.created')
  } else {
    withdraw(engine, dispute, charge)
    engine.emitFor(dispute, 'charge.dispute.created')
    engine.emitFor(dispute, 'charge.dispute.funds_withdrawn')
  }
  if (profile.bankDebit) {
    // ACH disputes are final: no evidence, no appeal (§15.9).
    decide(engine, dispute, 'lost')
  } else {
    engine.schedule(dueBy! + 1, 'dispute.expire', { id })
  }
  return dispute
}

function withdraw(engine: Engine, dispute: Rec, charge: Rec): void {
  const d = dispute.obj
  const fee = disputeFee(d.currency)
  const txn = addTxn(engine, dispute.acct, dispute.plat, {
    amount: -d.amount,
    currency: d.currency,
    type: 'adjustment',
    reportingCategory: 'dispute',
    source: d.id,
    description: `Chargeback withdrawal for ${charge.id}`,
    fee,
    feeDetails: [
      {
        amount: fee,
        application: null,
        currency: d.currency,
        description: 'Dispute fee',
        type: 'stripe_fee',
      },
    ],
  })
  d.balance_transactions.push(txn.id)
}

function reinstate(engine: Engine, dispute: Rec, amount: number, fee: number): void {
  const d = dispute.obj
  const txn = addTxn(engine, dispute.acct, dispute.plat, {
    amount,
    currency: d.currency,
    type: 'adjustment',
    reportingCategory: 'dispute_reversal',
    source: d.id,
    description: `Chargeback reversal for ${d.charge}`,
    fee: fee > 0 ? -fee : 0,
    feeDetails:
      fee > 0
        ? [
            {
              amount: -fee,
              application: null,
              currency: d.currency,
              description: 'Dispute fee refund',
              type: 'stripe_fee',
            },
          ]
        : [],
  })
  d.balance_transactions.push(txn.id)
}

/** Evidence submitted: under review; a test outcome string is ruled on later on the clock. */
export function submitEvidence(engine: Engine, dispute: Rec): void {
  const d = dispute.obj
  const details = d.evidence_details
  details.submission_count += 1
  details.submission_method = 'manual'
  details.past_due = details.due_by !== null && engine.now() > details.due_by
  d.status = isInquiry(d) ? 'warning_under_review' : 'under_review'
  const outcome = outcomeOf(d.evidence)
  if (outcome) {
    engine.schedule(engine.now() + OUTCOME_DELAY_SECONDS, 'dispute.decide', {
      id: d.id,
      outcome,
    })
  }
}

/**
 * Closes a dispute. An inquiry closes as `warning_closed` whatever the
 * outcome, moving no money. A won chargeback gets the amount and the fee
 * back; a lost one keeps the withdrawal, except the already-refunded part of
 * a partially refunded charge, which is reinstated.
 */
export function decide(engine: Engine, dispute: Rec, outcome: 'won' | 'lost'): void {
  const d = dispute.obj
  if (CLOSED_STATUSES.has(d.status)) {
    return
  }
  engine.markDirty()
  if (isInquiry(d)) {
    d.status = 'warning_closed'
    engine.emitFor(dispute, 'charge.dispute.closed')
    return
  }
  d.status = outcome
  d.is_charge_refundable = outcome === 'won'
  const back = outcome === 'won' ? d.amount : dispute.x.overlap
  if (back > 0) {
    const fee = outcome === 'won' && FEE_RETURNED_ON_WIN ? disputeFee(d.currency) : 0
    reinstate(engine, dispute, back, fee)
    engine.emitFor(dispute, 'charge.dispute.funds_reinstated')
  }
  engine.emitFor(dispute, 'charge.dispute.closed')
}

export function registerDisputeJobs(engine: Engine): void {
  engine.onJob('dispute.open', (job) => {
    const charge = engine.store.get(String(job.data.charge))
    const profile = disputeProfileFor(String(job.data.profile))
    if (charge && profile && !undisputable(charge)) {
      openDispute(engine, charge, profile)
    }
  })
  engine.onJob('dispute.decide', (job) => {
    const dispute = engine.store.get(String(job.data.id))
    if (dispute) {
      decide(engine, dispute, job.data.outcome === 'won' ? 'won' : 'lost')
    }
  })
  // No answer by due_by: the dispute is lost (an inquiry just closes; UNCONFIRMED).
  engine.onJob('dispute.expire', (job) => {
    const dispute = engine.store.get(String(job.data.id))
    const status = dispute?.obj.status
    if (dispute && (status === 'needs_response' || status === 'warning_needs_response')) {
      decide(engine, dispute, 'lost')
    }
  })
}
