import Dispute from '#models/dispute'
import DisputeLine from '#models/dispute_line'
import ContractorDebit from '#models/contractor_debit'
import Transfer from '#models/transfer'
import TransferReversal from '#models/transfer_reversal'
import type { Viewer } from '#domain/order_summary'
import {
  disputeNotice,
  type ContractorDisputeShare,
  type DisputeNotice,
} from '#domain/dispute_words'

/**
 * The disputes an order's (or a payment request's) page shows, in plain words: all of them to the
 * employer; to a contractor, those about their lines, with what was taken
 * from them and given back (their figures only). `recorded`: the payments
 * have dispute records (a payment flagged before they existed has none).
 */
export async function disputeNoticesFor(
  paymentIds: number[],
  viewer: Viewer,
  userId: number,
  about: 'order' | 'request' = 'order'
): Promise<{ notices: DisputeNotice[]; recorded: boolean }> {
  if (paymentIds.length === 0) {
    return { notices: [], recorded: false }
  }
  const disputes = await Dispute.query().whereIn('paymentId', paymentIds).orderBy('id')
  if (disputes.length === 0 || viewer !== 'contractor') {
    return {
      notices: disputes.map((dispute) => disputeNotice(dispute, viewer, null, about)),
      recorded: disputes.length > 0,
    }
  }
  const ids = disputes.map((dispute) => dispute.id)
  const [lines, reversals, debits, returns] = await Promise.all([
    DisputeLine.query().whereIn('disputeId', ids).where('contractorId', userId),
    TransferReversal.query()
      .whereIn('disputeId', ids)
      .whereIn('transferId', Transfer.query().where('contractorId', userId).select('id')),
    ContractorDebit.query().whereIn('disputeId', ids).where('contractorId', userId),
    Transfer.query().whereIn('disputeId', ids).where('contractorId', userId),
  ])
  const sum = (rows: { amount: number }[]) => rows.reduce((total, row) => total + row.amount, 0)
  const notices = disputes
    .filter((dispute) => lines.some((line) => line.disputeId === dispute.id))
    .map((dispute) => {
      const of = <T extends { disputeId: number | null }>(rows: T[]) =>
        rows.filter((row) => row.disputeId === dispute.id)
      const share: ContractorDisputeShare = {
        disputed: sum(of(lines)),
        taken:
          sum(of(reversals).filter((row) => row.status === 'succeeded')) +
          sum(of(debits).filter((row) => row.status === 'succeeded')),
        owed: sum(of(debits).filter((row) => row.status === 'owed')),
        returned: sum(of(returns).filter((row) => row.status === 'paid')),
        waived: sum(of(debits).filter((row) => row.status === 'canceled')),
      }
      return disputeNotice(dispute, viewer, share, about)
    })
  return { notices, recorded: true }
}
