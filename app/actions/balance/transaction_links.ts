import type Stripe from 'stripe'
import type User from '#models/user'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import ContractorDebit from '#models/contractor_debit'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'

/*
|--------------------------------------------------------------------------
| Which order or debit a balance transaction belongs to
|--------------------------------------------------------------------------
|
| A contractor's balance transactions (read with `expand: data.source`) name
| Stripe objects; ours name the same ones:
| - a payment (`py_…` on the account) came from a transfer of ours:
|   its `source_transfer` is transfers.stripe_transfer_id → the line's order;
| - a refund of it (`pyr_…`) names that payment (`charge`), or the reversal
|   we recorded (transfer_reversals.stripe_reversal_id);
| - a fee given back (`fr_…`) names the application fee, which names the
|   platform charge of one of our payments (payments.stripe_charge_id);
| - a debit is a transfer from the account to the platform, whose payment
|   there is contractor_debits.stripe_id.
| What the page does not show is looked up on Stripe, a few at most (a
| payment or an application fee per transaction); a failed look-up leaves
| the row without a link, never the page without its balance.
|
*/

export type TransactionLink =
  | { kind: 'order'; orderId: number; title: string }
  | { kind: 'debit'; debitId: number; reason: string; orderId: number | null }

/** At most this many Stripe look-ups per page */
const LOOKUPS = 10

function idOf(value: string | { id: string } | null | undefined) {
  return typeof value === 'string' ? value : (value?.id ?? null)
}

export async function transactionLinks(
  contractor: User,
  accountId: string,
  transactions: Stripe.BalanceTransaction[]
): Promise<Map<string, TransactionLink>> {
  // py_ → tr_ and fee_ → py_, from the payments on the page
  const transferOfPayment = new Map<string, string>()
  const paymentOfFee = new Map<string, string>()
  for (const transaction of transactions) {
    const source = transaction.source as Stripe.Charge | string | null
    if (source && typeof source === 'object' && source.object === 'charge') {
      const transferId = idOf(source.source_transfer as string | null)
      if (transferId) {
        transferOfPayment.set(source.id, transferId)
      }
      const feeId = idOf(source.application_fee as string | null)
      if (feeId) {
        paymentOfFee.set(feeId, source.id)
      }
    }
  }

  let lookups = 0
  const lookUp = async <T>(work: () => Promise<T>): Promise<T | null> => {
    if (lookups >= LOOKUPS) {
      return null
    }
    lookups += 1
    try {
      return await work()
    } catch (error) {
      reportStripeError(error, { userId: contractor.id, operation: 'balance_links' })
      return null
    }
  }

  // What each transaction points at: a transfer, a reversal, a platform charge or a debit
  const wanted = new Map<
    string,
    { transferId?: string; reversalId?: string; chargeId?: string; debitTransferId?: string }
  >()
  for (const transaction of transactions) {
    const source = transaction.source as
      (Stripe.Charge | Stripe.Refund | Stripe.FeeRefund | Stripe.Transfer) | string | null
    if (!source || typeof source === 'string') {
      continue
    }
    switch (source.object) {
      case 'charge': {
        const transferId = transferOfPayment.get(source.id)
        if (transferId) wanted.set(transaction.id, { transferId })
        break
      }
      case 'refund': {
        const paymentId = idOf(source.charge)
        let transferId = paymentId ? transferOfPayment.get(paymentId) : undefined
        if (!transferId && paymentId) {
          const payment = await lookUp(() =>
            stripe().charges.retrieve(paymentId, {}, { stripeAccount: accountId })
          )
          transferId = idOf(payment?.source_transfer as string | null) ?? undefined
        }
        const reversalId =
          idOf(
            (source as Stripe.Refund & { source_transfer_reversal?: string | null })
              .source_transfer_reversal
          ) ?? undefined
        wanted.set(transaction.id, { transferId, reversalId })
        break
      }
      case 'fee_refund': {
        const feeId = idOf(source.fee)
        const paymentId = feeId ? paymentOfFee.get(feeId) : undefined
        if (paymentId && transferOfPayment.get(paymentId)) {
          wanted.set(transaction.id, { transferId: transferOfPayment.get(paymentId) })
        } else if (feeId) {
          const fee = await lookUp(() => stripe().applicationFees.retrieve(feeId))
          const chargeId = idOf(fee?.charge)
          if (chargeId) wanted.set(transaction.id, { chargeId })
        }
        break
      }
      case 'transfer':
        // An account debit: Stripe moves the money by a transfer to the platform, where it is
        // the payment (destination_payment) we recorded as the debit's Stripe id
        wanted.set(transaction.id, {
          debitTransferId: idOf(source.destination_payment as string | null) ?? source.id,
        })
        break
    }
  }

  const all = [...wanted.values()]
  const list = (key: keyof (typeof all)[number]) => [
    ...new Set(all.map((entry) => entry[key]).filter((id): id is string => Boolean(id))),
  ]
  const [transfers, reversals, payments, debits] = await Promise.all([
    list('transferId').length
      ? Transfer.query()
          .whereIn('stripeTransferId', list('transferId'))
          .where('contractorId', contractor.id)
      : [],
    list('reversalId').length
      ? TransferReversal.query().whereIn('stripeReversalId', list('reversalId')).preload('transfer')
      : [],
    list('chargeId').length ? Payment.query().whereIn('stripeChargeId', list('chargeId')) : [],
    list('debitTransferId').length
      ? ContractorDebit.query()
          .whereIn('stripeId', list('debitTransferId'))
          .where('contractorId', contractor.id)
      : [],
  ])
  const lineIds = [
    ...transfers.map((transfer) => transfer.orderLineId),
    ...reversals
      .filter((reversal) => reversal.transfer.contractorId === contractor.id)
      .map((reversal) => reversal.transfer.orderLineId),
  ].filter((id): id is number => id !== null)
  const orderIds = payments.map((payment) => payment.orderId).filter((id): id is number => !!id)
  const lines =
    lineIds.length || orderIds.length
      ? await OrderLine.query()
          .where('contractorId', contractor.id)
          .where((query) => query.whereIn('id', lineIds).orWhereIn('orderId', orderIds))
      : []

  const orderLink = (line: OrderLine | undefined): TransactionLink | null =>
    line ? { kind: 'order', orderId: line.orderId, title: line.title } : null
  const links = new Map<string, TransactionLink>()
  for (const [transactionId, entry] of wanted) {
    let link: TransactionLink | null = null
    if (entry.debitTransferId) {
      const debit = debits.find((candidate) => candidate.stripeId === entry.debitTransferId)
      link = debit
        ? { kind: 'debit', debitId: debit.id, reason: debit.reason, orderId: debit.orderId }
        : null
    }
    if (!link && entry.transferId) {
      const transfer = transfers.find(
        (candidate) => candidate.stripeTransferId === entry.transferId
      )
      link = orderLink(lines.find((line) => line.id === transfer?.orderLineId))
    }
    if (!link && entry.reversalId) {
      const reversal = reversals.find(
        (candidate) => candidate.stripeReversalId === entry.reversalId
      )
      link =
        reversal && reversal.transfer.contractorId === contractor.id
          ? orderLink(lines.find((line) => line.id === reversal.transfer.orderLineId))
          : null
    }
    if (!link && entry.chargeId) {
      const payment = payments.find((candidate) => candidate.stripeChargeId === entry.chargeId)
      link = orderLink(lines.find((line) => line.orderId === payment?.orderId))
    }
    if (link) {
      links.set(transactionId, link)
    }
  }
  return links
}
