import ace from '@adonisjs/core/services/ace'
import type { BaseCommand } from '@adonisjs/core/ace'
import type Stripe from 'stripe'
import type User from '#models/user'
import type Payment from '#models/payment'
import type Refund from '#models/refund'
import type ContractorDebit from '#models/contractor_debit'
import UserProfile from '#models/user_profile'
import { stripe } from '#stripe/client'
import { idempotencyKey } from '#stripe/idempotency'
import { debitTransferGroup } from '#actions/contractors/debit_contractor'
import { stripeIdOf } from '#tests/helpers/stripe'

/**
 * Shared by the console_*.spec.ts files: run a command with a clean log, read
 * what it printed, pretend there is no terminal, read Stripe balances.
 */

type CommandClass<T extends BaseCommand> = { new (...args: any[]): T } & typeof BaseCommand

/** Creates and runs a command; `prepare` traps prompts before it runs */
export async function runCommand<T extends BaseCommand>(
  Command: CommandClass<T>,
  argv: string[],
  prepare?: (command: T) => void
): Promise<T> {
  ace.ui.logger.flushLogs()
  const command = (await ace.create(Command, argv)) as T
  prepare?.(command)
  await command.exec()
  return command
}

/** What the command printed, one entry per line, colours as function names */
export function outputOf(command: BaseCommand) {
  return command.logger.getLogs().map((log) => log.message)
}

/** A regex matching `text` literally (a sentence's key part, figures included) */
export function literally(text: string) {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
}

/** The error lines a command printed */
export function errorsOf(command: BaseCommand) {
  return command.logger
    .getLogs()
    .filter((log) => log.stream === 'stderr')
    .map((log) => log.message)
}

/** Runs `work` as if stdin were not a terminal (cron, a pipe) */
export async function withoutTerminal<T>(work: () => Promise<T>) {
  const own = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY')
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true })
  try {
    return await work()
  } finally {
    if (own) {
      Object.defineProperty(process.stdin, 'isTTY', own)
    } else {
      delete (process.stdin as { isTTY?: boolean }).isTTY
    }
  }
}

/** A connected account's balance in one currency, to the cent */
export async function contractorBalance(contractor: User, currency = 'usd') {
  const balance = await stripe().balance.retrieve(
    {},
    { stripeAccount: await stripeIdOf(contractor) }
  )
  const pick = (entries: { amount: number; currency: string }[]) =>
    entries.find((entry) => entry.currency === currency)?.amount ?? 0
  return { available: pick(balance.available), pending: pick(balance.pending) }
}

/** The charge of an order with its transfer and application fee expanded */
export async function chargeOf(chargeId: string) {
  const charge = await stripe().charges.retrieve(chargeId, {
    expand: ['transfer', 'application_fee'],
  })
  return {
    charge,
    transfer: charge.transfer as import('stripe').Stripe.Transfer | null,
    fee: charge.application_fee as import('stripe').Stripe.ApplicationFee | null,
  }
}

/** Every refund Stripe has for a PaymentIntent */
export async function stripeRefundsOf(paymentIntentId: string) {
  const refunds = await stripe().refunds.list({ payment_intent: paymentIntentId, limit: 100 })
  return refunds.data
}

/**
 * Sends a refund row's request to Stripe again, with the same parameters and
 * the key made from the row, as a re-run would: Stripe answers with the
 * refund it made the first time (a new id means the key changed)
 */
export async function replayRefund(payment: Payment, refund: Refund) {
  return stripe().refunds.create(
    {
      payment_intent: payment.stripePaymentIntentId!,
      amount: refund.amount,
      ...(refund.reason ? { reason: refund.reason as Stripe.RefundCreateParams.Reason } : {}),
      ...(payment.flow === 'hold'
        ? {
            reverse_transfer: refund.reverseTransfer,
            refund_application_fee: refund.refundApplicationFee,
          }
        : {}),
      metadata: {
        crewpay_refund: refund.reference,
        refund_id: String(refund.id),
        ...(refund.orderId ? { order_id: String(refund.orderId) } : {}),
        ...(refund.orderLineId ? { order_line_id: String(refund.orderLineId) } : {}),
      },
    },
    { idempotencyKey: idempotencyKey('refund', refund, 'create') }
  )
}

/**
 * The writes (POST requests) the app's Stripe client sent while `work` ran,
 * as "POST /v1/charges": to assert that something was refused before Stripe
 * was asked
 */
export async function stripeWritesDuring<T>(work: () => Promise<T>) {
  const writes: string[] = []
  const listener = (event: { method: string; path: string }) => {
    if (event.method === 'POST') {
      writes.push(`${event.method} ${event.path}`)
    }
  }
  stripe().on('request', listener)
  try {
    const result = await work()
    return { result, writes }
  } finally {
    stripe().off('request', listener)
  }
}

/** The same for a debit's request (`attempt`: the nth collection of an owed debit) */
export async function replayDebit(debit: ContractorDebit, attempt = 1) {
  const profile = await UserProfile.findByOrFail('userId', debit.contractorId)
  return stripe().charges.create(
    {
      amount: debit.amount,
      currency: debit.currency,
      source: profile.stripeId!,
      description: `Crewpay debit #${debit.id}: ${debit.reason}`.slice(0, 350),
      transfer_group: debitTransferGroup(debit),
      metadata: {
        crewpay_debit: debit.reference,
        contractor_debit_id: String(debit.id),
        contractor_id: String(debit.contractorId),
        ...(debit.orderId ? { order_id: String(debit.orderId) } : {}),
      },
    },
    {
      idempotencyKey:
        attempt > 1
          ? idempotencyKey('contractor_debit', debit, 'create', attempt)
          : idempotencyKey('contractor_debit', debit, 'create'),
    }
  )
}
