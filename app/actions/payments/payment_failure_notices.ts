import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Payment from '#models/payment'
import type OrderLine from '#models/order_line'
import Order from '#models/order'
import PaymentEvent from '#models/payment_event'
import { notify } from '#mails/notify'
import { paymentMethodLabel } from '#actions/billing/payment_methods'

function titleOf(lines: OrderLine[]) {
  return lines.length === 1 ? lines[0].title : `${lines.length} services`
}

/**
 * A bank debit failed days after the order was placed: the employer and each
 * contractor of the order are told by mail (inside the transaction that
 * recorded the failure; sent after commit, once per key). A payment refused
 * while the employer was placing the order is shown on the page instead: the
 * contractors never had a confirmed order.
 */
export async function tellPaymentFailed(
  trx: TransactionClientContract,
  payment: Payment,
  lines: OrderLine[]
) {
  if (payment.status !== 'failed' || payment.orderId === null) {
    return
  }
  const wasProcessing = await PaymentEvent.query({ client: trx })
    .where('paymentId', payment.id)
    .where('type', 'payment.processing')
    .first()
  if (!wasProcessing) {
    return
  }
  const order = await Order.query({ client: trx })
    .where('id', payment.orderId)
    .preload('employer')
    .firstOrFail()
  const reason = payment.failureMessage ?? 'The bank refused this debit.'
  await notify(trx, {
    key: `payment:${payment.id}:failed`,
    to: { userId: order.employerId },
    message: 'payment_failed',
    data: {
      orderId: order.id,
      title: titleOf(lines),
      amount: payment.amount,
      currency: payment.currency,
      reason,
      paymentMethod: await paymentMethodLabel(payment),
    },
  })
  const contractorIds = [...new Set(lines.map((line) => line.contractorId))]
  for (const contractorId of contractorIds) {
    const theirs = lines.filter((line) => line.contractorId === contractorId)
    await notify(trx, {
      key: `payment:${payment.id}:failed:contractor:${contractorId}`,
      to: { userId: contractorId },
      message: 'order_payment_failed',
      data: {
        orderId: order.id,
        title: titleOf(theirs),
        amount: theirs.reduce((sum, line) => sum + line.amount, 0),
        currency: order.currency,
        employerName: order.employer.fullName,
        delivered: theirs.some((line) => line.deliveredAt !== null),
      },
    })
  }
}
