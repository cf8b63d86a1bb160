import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import Transfer from '#models/transfer'
import Refund from '#models/refund'
import PaymentEvent from '#models/payment_event'
import { DomainError } from '#exceptions/domain_error'
import { isRecordId } from '#services/record_id'
import {
  lineStatus,
  orderStatus,
  paymentStatus,
  type StatusView,
  type Viewer,
} from '#domain/order_summary'
import { DEAD_STATUSES } from '#models/payment'
import { LINE_STATES } from '#models/order_line'
import { timelineOf, type TimelineEntry } from '#domain/timeline'
import type { DisputeNotice } from '#domain/dispute_words'
import { disputeNoticesFor } from '#actions/disputes/dispute_notices'
import TransferReversal from '#models/transfer_reversal'
import { orderMoney } from '#domain/order_money'

export interface LineView {
  line: OrderLine
  contractorName: string
  status: StatusView
  transfer: Transfer | null
  /** What the contractor receives (or received) for it */
  contractorAmount: number
  refunded: number
  /** Of what the contractor received, what went back (or is owed) with refunds */
  gaveBack: number
  canAccept: boolean
  canDecline: boolean
  canDeliver: boolean
  canApprove: boolean
  canCancel: boolean
}

/** Where the employer's money went, to the minor unit */
export interface MoneyBreakdown {
  paid: number
  refunded: number
  stripeFee: number | null
  /**
   * Of Stripe's fee, what the contractors' transfers bore (STRIPE_FEE_PASSTHROUGH,
   * recorded on each transfer): shown as theirs, not under the platform's fee
   */
  stripeFeePassedOn: number
  platformFee: number
  /** Of the fee (and beyond, when it paid a refund alone), what the platform gave back */
  platformGaveBack: number
  /** `amount`: what the contractor received; `kept`: after what they gave back */
  contractors: { name: string; amount: number; gaveBack: number; kept: number }[]
  /** Paid but not paid out yet: work not approved yet (orders paid at once) */
  held: number
}

export interface OrderPage {
  order: Order
  viewer: Viewer
  status: StatusView
  payment: Payment | null
  paymentStatus: StatusView | null
  lines: LineView[]
  /** Lines of other contractors a contractor does not see */
  otherContractors: number
  /** What the viewer sees as the order's amount: the total, or their own lines */
  amount: number
  breakdown: MoneyBreakdown | null
  timeline: TimelineEntry[]
  canRetry: boolean
  /** Disputes of the order's payments, in plain words (a contractor: those about their lines) */
  disputes: DisputeNotice[]
  /** The payment is flagged disputed but no dispute is recorded (flagged before records existed) */
  disputeUnrecorded: boolean
}

/** The order when the user is one of its parties; 404 for everybody else */
export async function findOrderFor(user: User, id: unknown): Promise<Order> {
  const orderId = Number(id)
  if (!isRecordId(orderId)) {
    throw DomainError.notFound('Order not found.')
  }
  const order = await Order.find(orderId)
  if (!order) {
    throw DomainError.notFound('Order not found.')
  }
  if (order.employerId === user.id) {
    // The employer is the viewer: not read again
    order.$setRelated('employer', user)
    return order
  }
  const mine = await OrderLine.query()
    .where('orderId', order.id)
    .where('contractorId', user.id)
    .first()
  if (!mine) {
    throw DomainError.notFound('Order not found.')
  }
  await order.load('employer')
  return order
}

/** Everything the order page shows, for one of its parties */
export async function loadOrderPage(order: Order, user: User): Promise<OrderPage> {
  const viewer: Viewer = order.employerId === user.id ? 'employer' : 'contractor'
  const [allLines, payments] = await Promise.all([
    OrderLine.query().where('orderId', order.id).preload('contractor').orderBy('id'),
    Payment.query().where('orderId', order.id).orderBy('id'),
  ])
  const payment =
    payments.find((candidate) => !DEAD_STATUSES.includes(candidate.status)) ??
    payments.at(-1) ??
    null
  const paymentIds = payments.map((candidate) => candidate.id)
  const [transfers, refunds] = await Promise.all([
    paymentIds.length ? Transfer.query().whereIn('paymentId', paymentIds) : [],
    paymentIds.length ? Refund.query().whereIn('paymentId', paymentIds) : [],
  ])
  const reversals = transfers.length
    ? await TransferReversal.query().whereIn(
        'transferId',
        transfers.map((transfer) => transfer.id)
      )
    : []
  // Who received, gave back and paid what (issue 17: a refunded order says what each party got back)
  const money = orderMoney({ payment, lines: allLines, transfers, refunds, reversals })
  const visible =
    viewer === 'employer' ? allLines : allLines.filter((line) => line.contractorId === user.id)
  const otherContractors = new Set(
    allLines.filter((line) => line.contractorId !== user.id).map((line) => line.contractorId)
  ).size

  const lines = visible.map((line) => {
    const transfer = transfers.find((candidate) => candidate.orderLineId === line.id) ?? null
    const refunded = refunds
      .filter(
        (refund) =>
          refund.status === 'succeeded' &&
          (refund.orderLineId === line.id ||
            (payment?.flow === 'hold' && refund.orderLineId === null))
      )
      .reduce((sum, refund) => sum + refund.amount, 0)
    const open =
      payment !== null && !DEAD_STATUSES.includes(payment.status) && !payment.pendingAction
    const can = (verb: Parameters<typeof LINE_STATES.can>[1]) =>
      open && LINE_STATES.can(line.status, verb, viewer)
    return {
      line,
      contractorName: line.contractor.fullName,
      status: lineStatus(line, payment, transfer, viewer, refunded),
      transfer,
      contractorAmount: line.amount - line.feeAmount - (transfer?.stripeFeeShare ?? 0),
      refunded,
      gaveBack: money.lines.get(line.id)?.gaveBack ?? 0,
      // Not before the payment is confirmed (sent, authenticated)
      canAccept:
        can('accept') &&
        line.status === 'requested' &&
        !['pending', 'requires_action'].includes(payment!.status),
      canDecline: can('decline'),
      canDeliver: can('deliver'),
      canApprove: can('approve'),
      canCancel: can('cancel'),
    }
  })

  const events = await PaymentEvent.query().where('orderId', order.id).orderBy('id', 'asc')
  const disputes = await disputeNoticesFor(paymentIds, viewer, user.id)
  const mineIds = new Set(visible.map((line) => line.id))
  const timeline =
    viewer === 'employer'
      ? events
      : events.filter((event) =>
          event.orderLineId !== null
            ? mineIds.has(event.orderLineId)
            : // Payment-wide amounts name other contractors' prices unless the order is theirs alone
              otherContractors === 0
        )

  return {
    order,
    viewer,
    status: orderStatus(allLines, payment, viewer, user.id, transfers),
    payment,
    // The employer sees the figures of the whole payment; a contractor only when the order is theirs alone
    paymentStatus: payment
      ? paymentStatus(payment, viewer, viewer === 'employer' || otherContractors === 0)
      : null,
    lines,
    otherContractors,
    amount:
      viewer === 'employer' ? order.total : visible.reduce((sum, line) => sum + line.amount, 0),
    breakdown:
      viewer === 'employer' && payment ? breakdownOf(payment, allLines, transfers, money) : null,
    timeline: timelineOf(timeline, viewer, {
      lines: allLines,
      payments,
      refundSplits: money.refunds,
      transfers,
      employerName: order.employer.fullName,
    }),
    canRetry: viewer === 'employer' && payment?.status === 'pending',
    disputes: disputes.notices,
    disputeUnrecorded: Boolean(payment?.disputed) && !disputes.recorded,
  }
}

function breakdownOf(
  payment: Payment,
  lines: OrderLine[],
  transfers: Transfer[],
  money: ReturnType<typeof orderMoney>
): MoneyBreakdown | null {
  if (!payment.isCaptured) {
    return null
  }
  const contractors = lines
    .filter((line) => line.status === 'approved')
    .map((line) => {
      const transfer = transfers.find((candidate) => candidate.orderLineId === line.id)
      const share = transfer?.stripeFeeShare ?? 0
      const amount = line.amount - line.feeAmount - share
      const gaveBack = money.lines.get(line.id)?.gaveBack ?? 0
      return { name: line.contractor.fullName, amount, gaveBack, kept: amount - gaveBack, share }
    })
  const platformKept = money.platformFee - money.platformGaveBack
  const held =
    payment.amountCaptured -
    payment.amountRefunded -
    contractors.reduce((sum, share) => sum + share.kept + share.share, 0) -
    platformKept
  return {
    paid: payment.amountCaptured,
    refunded: payment.amountRefunded,
    stripeFee: payment.stripeFee,
    stripeFeePassedOn: contractors.reduce((sum, share) => sum + share.share, 0),
    platformFee: money.platformFee,
    platformGaveBack: money.platformGaveBack,
    contractors: contractors.map(({ share: _share, ...rest }) => rest),
    held: Math.max(0, held),
  }
}
