import Dispute, { DISPUTE_STATUSES, type DisputeStatus } from '#models/dispute'
import DisputeAction from '#models/dispute_action'
import DisputeLine from '#models/dispute_line'
import ContractorDebit from '#models/contractor_debit'
import PaymentRequest from '#models/payment_request'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import { DomainError } from '#exceptions/domain_error'
import { plainArg } from '#services/console_inputs'

/** A dispute given as 5, #5 or its Stripe id (du_… / dp_…) */
export async function findDisputeArg(text: string | undefined) {
  const value = plainArg(text, 'dispute argument')
  if (/^(du|dp)_[A-Za-z0-9]+$/.test(value)) {
    const dispute = await Dispute.findBy('stripeDisputeId', value)
    if (!dispute) {
      throw DomainError.notFound(
        `No dispute of ours is ${value} (stripe:reconcile records missing ones).`
      )
    }
    return dispute
  }
  const match = /^#?(\d{1,9})$/.exec(value)
  if (!match) {
    throw DomainError.invalid(
      `"${value}" is not a dispute: give its number (5 or #5) or its Stripe id (du_… or dp_…).`
    )
  }
  const dispute = await Dispute.find(Number(match[1]))
  if (!dispute) {
    throw DomainError.notFound(`Dispute #${Number(match[1])} does not exist.`)
  }
  return dispute
}

/** --status for disputes:list: Stripe's statuses, or "open" / "closed" */
export function parseDisputeStatuses(text: string | undefined): DisputeStatus[] | null {
  if (text === undefined) {
    return null
  }
  const wanted = String(text)
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
  const statuses = new Set<DisputeStatus>()
  for (const value of wanted) {
    if (value === 'open' || value === 'closed') {
      const closed = ['won', 'lost', 'warning_closed', 'prevented']
      for (const status of DISPUTE_STATUSES) {
        if (closed.includes(status) === (value === 'closed')) statuses.add(status)
      }
    } else if ((DISPUTE_STATUSES as readonly string[]).includes(value)) {
      statuses.add(value as DisputeStatus)
    } else {
      throw DomainError.invalid(
        `--status must be open, closed or one of: ${DISPUTE_STATUSES.join(', ')} (several: comma-separated).`
      )
    }
  }
  if (statuses.size === 0) {
    throw DomainError.invalid('--status needs a value, e.g. --status=needs_response.')
  }
  return [...statuses]
}

/** Everything recorded about a dispute: its lines, recoveries, returns and requests */
export async function disputeDetails(dispute: Dispute) {
  await dispute.load('payment')
  const [lines, reversals, debits, returns, actions] = await Promise.all([
    DisputeLine.query()
      .where('disputeId', dispute.id)
      .preload('line')
      .preload('contractor')
      .orderBy('id'),
    TransferReversal.query().where('disputeId', dispute.id).orderBy('id'),
    ContractorDebit.query().where('disputeId', dispute.id).orderBy('id'),
    Transfer.query().where('disputeId', dispute.id).preload('contractor').orderBy('id'),
    DisputeAction.query().where('disputeId', dispute.id).orderBy('id'),
  ])
  const lineIds = lines.flatMap((line) => (line.orderLineId === null ? [] : [line.orderLineId]))
  const transfers = lineIds.length
    ? await Transfer.query().whereIn('orderLineId', lineIds).whereNull('disputeId')
    : []
  /** The line a reversal took a share of (null: the request payment's line) */
  const lineOfReversal = (reversal: TransferReversal) =>
    transfers.find((transfer) => transfer.id === reversal.transferId)?.orderLineId ?? null
  const request = dispute.paymentRequestId
    ? await PaymentRequest.find(dispute.paymentRequestId)
    : null
  /** What a line is: its order line's title, or the request's description (first line) */
  const lineTitle = (line: DisputeLine) =>
    line.orderLineId === null
      ? `request #${dispute.paymentRequestId}` +
        (request ? ` ${request.description.split('\n')[0].slice(0, 60)}` : '')
      : `#${line.orderLineId} ${line.line.title}`
  return {
    dispute,
    payment: dispute.payment,
    request,
    lineTitle,
    lines,
    reversals,
    debits,
    returns,
    actions,
    lineOfReversal,
  }
}
