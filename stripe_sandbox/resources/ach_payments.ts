import { scheduleTestDispute } from '../disputes/lifecycle.js'
import { snapshot } from '../core/diff.js'
import { docUrl } from '../core/errors.js'
import { type Rec } from '../core/store.js'
import { type Obj } from '../core/types.js'
import { type Engine } from '../engine.js'
import { addBusinessDays } from '../calendar.js'
import { addTxn, CARD_AVAILABILITY_SECONDS, releaseTxn } from '../ledger.js'
import { achFee } from '../money.js'
import { settingsOf } from '../settings.js'
import { type AchFailure, ACH_FAILURES } from '../test_bank_accounts.js'
import { baseCharge, payDestination, stripeFeeDetail } from './charges.js'
import { announce } from './payment_intents/card.js'
import { bankOf } from './us_bank_accounts.js'

/*
 * An ACH debit after confirmation (§11): the PaymentIntent is `processing`
 * and its charge `pending` for a number of business days on the sandbox
 * clock (settings.achProcessingDays, default 4), then the test account
 * number decides: the payment succeeds, or it fails with the bank's return
 * code and the money is taken back.
 *
 * Money: the platform gets a `payment` balance transaction at once (fee 0.8%
 * capped at $5), pending; it becomes available 2 days after the debit
 * succeeds. A failed debit adds a `payment_failure_refund` of the same
 * amount and fee, so the pending balance returns to what it was.
 */

function bankDetails(pm: Rec, mandateId: string | null): Obj {
  const bank = pm.obj.us_bank_account
  return {
    account_holder_type: bank.account_holder_type,
    account_type: bank.account_type,
    bank_name: bank.bank_name,
    fingerprint: bank.fingerprint,
    last4: bank.last4,
    mandate: mandateId,
    payment_reference: null,
    routing_number: bank.routing_number,
  }
}

/** The PaymentIntent starts processing: a pending charge and pending money. */
export function startProcessing(engine: Engine, pi: Rec, pm: Rec, mandateId: string | null): Rec {
  const p = pi.obj
  const now = engine.now()
  const settlesAt = addBusinessDays(now, settingsOf(engine, pi.plat).achProcessingDays)
  const obj = baseCharge(engine, pi, pm)
  obj.captured = true
  obj.amount_captured = p.amount
  obj.outcome = {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: null,
    network_status: 'approved_by_network',
    reason: null,
    risk_level: 'not_assessed',
    seller_message: 'Payment complete.',
    type: 'authorized',
  }
  obj.payment_method_details = {
    type: 'us_bank_account',
    us_bank_account: bankDetails(pm, mandateId),
  }
  const charge = engine.create('charge', pi.acct, pi.plat, obj)
  const fee = achFee(p.amount)
  const txn = addTxn(engine, pi.acct, pi.plat, {
    amount: p.amount,
    currency: p.currency,
    type: 'payment',
    reportingCategory: 'charge',
    source: charge.id,
    description: p.description,
    fee,
    feeDetails: [stripeFeeDetail(fee, p.currency)],
    availableOn: settlesAt + CARD_AVAILABILITY_SECONDS,
    held: true,
  })
  obj.balance_transaction = txn.id
  p.status = 'processing'
  p.latest_charge = charge.id
  p.next_action = null
  p.last_payment_error = null
  p.payment_method = pm.id
  engine.emitFor(pi, 'payment_intent.processing')
  engine.emitFor(charge, 'charge.pending')
  if (bankOf(pm).outcome !== 'processing') {
    engine.schedule(settlesAt, 'ach.settle', { id: pi.id, charge: charge.id })
  }
  return charge
}

/** Takes back the pending money of a debit that will not complete. */
function reverseMoney(engine: Engine, charge: Rec): Rec {
  const c = charge.obj
  const original = engine.store.get(c.balance_transaction)!
  const refund = addTxn(engine, charge.acct, charge.plat, {
    amount: -c.amount,
    currency: c.currency,
    type: 'payment_failure_refund',
    reportingCategory: 'charge_failure',
    source: charge.id,
    description: 'Payment failure refund',
    fee: -original.obj.fee,
    feeDetails: [stripeFeeDetail(-original.obj.fee, c.currency)],
    availableOn: original.obj.available_on,
    held: true,
  })
  // Both settle at the same moment, so no money ever becomes available.
  releaseTxn(engine, original.id)
  releaseTxn(engine, refund.id)
  c.failure_balance_transaction = refund.id
  return refund
}

function succeed(engine: Engine, pi: Rec, charge: Rec): void {
  const p = pi.obj
  const c = charge.obj
  c.status = 'succeeded'
  c.paid = true
  releaseTxn(engine, c.balance_transaction)
  const availableOn = engine.store.get(c.balance_transaction)!.obj.available_on
  const created = payDestination(engine, charge, p.amount, p.application_fee_amount, availableOn)
  p.status = 'succeeded'
  p.amount_received = p.amount
  engine.emitFor(charge, 'charge.succeeded')
  engine.emitFor(pi, 'payment_intent.succeeded')
  announce(engine, created)
  const pm = engine.store.get(c.payment_method)
  scheduleTestDispute(engine, charge, pm ? bankOf(pm).disputeAs : null)
}

function fail(engine: Engine, pi: Rec, charge: Rec, pm: Rec, failure: AchFailure): void {
  const p = pi.obj
  const c = charge.obj
  reverseMoney(engine, charge)
  c.status = 'failed'
  c.paid = false
  c.failure_code = failure.code
  c.failure_message = failure.message
  c.outcome = {
    advice_code: null,
    network_advice_code: null,
    network_decline_code: failure.returnCode,
    network_status: 'declined_by_network',
    reason: failure.code,
    risk_level: 'not_assessed',
    seller_message: failure.message,
    type: 'issuer_declined',
  }
  if (failure.blocks) {
    // Stripe blocks a bank account after returns that mean it cannot be debited again.
    pm.obj.us_bank_account.status_details = {
      blocked: { network_code: failure.returnCode, reason: failure.blocks },
    }
  }
  p.status = 'requires_payment_method'
  p.payment_method = null
  p.last_payment_error = {
    charge: charge.id,
    code: failure.code,
    doc_url: docUrl(failure.code),
    message: failure.message,
    network_decline_code: failure.returnCode,
    payment_method: snapshot(pm.obj),
    payment_method_type: 'us_bank_account',
    type: 'card_error',
  }
  engine.emitFor(charge, 'charge.failed')
  engine.emitFor(pi, 'payment_intent.payment_failed')
}

/** A processing debit canceled (only pm_usBankAccount_processing ever stays long enough). */
export function cancelProcessing(engine: Engine, pi: Rec): Rec | null {
  const charge = engine.store.get(pi.obj.latest_charge)
  if (!charge || charge.obj.status !== 'pending') {
    return null
  }
  reverseMoney(engine, charge)
  charge.obj.status = 'failed'
  charge.obj.failure_message = 'The payment was canceled before the debit completed.'
  return charge
}

export function registerAchPayments(engine: Engine): void {
  engine.onJob('ach.settle', (job) => {
    const pi = engine.store.get(String(job.data.id))
    if (!pi || pi.obj.status !== 'processing' || pi.obj.latest_charge !== job.data.charge) {
      return
    }
    const charge = engine.store.get(String(job.data.charge))!
    const pm = engine.store.get(charge.obj.payment_method)!
    const outcome = bankOf(pm).outcome
    if (outcome === 'success') {
      succeed(engine, pi, charge)
    } else if (outcome !== 'processing') {
      fail(engine, pi, charge, pm, ACH_FAILURES[outcome])
    }
    engine.markDirty()
  })
}
