import type { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import OrderLine from '#models/order_line'
import Order from '#models/order'
import User from '#models/user'
import { businessNow } from '#services/clock'
import { notify } from '#mails/notify'
import { settlementOf } from '#actions/orders/order_mail'

/** How long before a delivered line is settled automatically the employer is reminded */
export const REMINDER_HOURS = 24

/**
 * Reminds each employer, once per line, a day before a delivery they have
 * not approved is settled automatically (a hold captured or released, a
 * line approved). Safe to run as often as wanted: one mail per line (its key).
 */
export async function remindApprovals(options: { now?: DateTime } = {}) {
  const now = options.now ?? (await businessNow())
  const delivered = await OrderLine.query().where('status', 'delivered').orderBy('id')
  let reminded = 0
  for (const line of delivered) {
    await db.transaction(async (trx) => {
      const settlement = await settlementOf(trx, line)
      if (
        !settlement ||
        settlement.at <= now ||
        settlement.at > now.plus({ hours: REMINDER_HOURS })
      ) {
        return
      }
      const order = await Order.findOrFail(line.orderId, { client: trx })
      const contractor = await User.findOrFail(line.contractorId, { client: trx })
      const { queued } = await notify(trx, {
        key: `line:${line.id}:approval_reminder`,
        to: { userId: order.employerId },
        message: 'approval_reminder',
        data: {
          orderId: order.id,
          title: line.title,
          amount: line.amount,
          currency: order.currency,
          contractorName: contractor.fullName,
          approveBy: settlement.at.toISO()!,
          policy: settlement.policy,
        },
      })
      reminded += queued ? 1 : 0
    })
  }
  return reminded
}
