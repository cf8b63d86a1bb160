import { randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import UserModel from '#models/user'
import UserProfile from '#models/user_profile'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment from '#models/payment'
import Refund from '#models/refund'
import Transfer from '#models/transfer'
import ContractorDebit from '#models/contractor_debit'
import PaymentRequest from '#models/payment_request'
import { notify } from '#mails/notify'
import { endSessions } from '#services/sessions'
import { DomainError } from '#exceptions/domain_error'
import { formatAmount } from '#money/amounts'
import { stripe } from '#stripe/client'
import { reportStripeError } from '#stripe/errors'
import { balancesOf } from '#actions/balance/balance_glance'
import { requestTotals } from '#domain/payment_request_summary'

/*
|--------------------------------------------------------------------------
| Deleting an account (settings)
|--------------------------------------------------------------------------
|
| Refused, with each reason, while work or money is open: an order in
| progress, a payment not settled, a refund on its way, a transfer Crewpay
| still owes the contractor, a debit the contractor owes, a payment request
| of the contractor's still open (not void, not paid in full: its link would
| stay payable to a deleted account), or money on the contractor's Stripe
| balance (it must reach their bank first).
|
| What deleting does:
| - removed: the password (replaced by a random one nobody knows), sessions,
|   reset and email-change links, the cart, the contractor's bank name and
|   last 4, the IP and browser recorded with their ToS acceptance, their
|   services (marked deleted and unlisted; finished orders keep pointing at
|   them);
| - anonymised: the name becomes "Deleted user" and the email an address
|   that cannot receive mail, so the address can sign up again;
| - kept: every money record (orders, lines, payments, transfers, refunds,
|   debits, the payment_events audit) and the Stripe ids that tie them to
|   Stripe, which keeps the customer or connected account (card networks,
|   disputes and tax forms need them). Nothing is sent to Stripe.
| The old address gets a confirmation.
|
*/

export const DELETED_NAME = 'Deleted user'

const OPEN_LINE_STATUSES = ['requested', 'accepted', 'delivered']
const UNSETTLED_PAYMENTS = ['pending', 'requires_action', 'processing', 'authorized']

/** The contractor's requests neither void nor paid in full (unpaid or partly paid), by id */
async function unpaidRequestsOf(contractorId: number) {
  const requests = await PaymentRequest.query()
    .where('contractorId', contractorId)
    .where('status', 'open')
    .orderBy('id')
  const payments = requests.length
    ? await Payment.query().whereIn(
        'paymentRequestId',
        requests.map((request) => request.id)
      )
    : []
  return requests
    .filter((request) => {
      const own = payments.filter((payment) => payment.paymentRequestId === request.id)
      return requestTotals(request, own).outstanding > 0
    })
    .map((request) => request.id)
}

/** Why the account cannot be deleted now, in words the user can act on (empty: it can) */
export async function deletionBlockers(user: User): Promise<string[]> {
  if (user.role === 'admin') {
    return ['Admin accounts are not deleted from here: ask another admin to remove yours.']
  }
  const reasons: string[] = []
  const orderList = (ids: number[]) =>
    [...new Set(ids)]
      .sort((a, b) => a - b)
      .map((id) => `#${id}`)
      .join(', ')

  if (user.role === 'employer') {
    const ownOrders = Order.query().where('employerId', user.id).select('id')
    const [open, unsettled, refunds] = await Promise.all([
      OrderLine.query().whereIn('orderId', ownOrders).whereIn('status', OPEN_LINE_STATUSES),
      Payment.query().where('employerId', user.id).whereIn('status', UNSETTLED_PAYMENTS),
      Refund.query()
        .where('status', 'pending')
        .whereIn('paymentId', Payment.query().where('employerId', user.id).select('id')),
    ])
    if (open.length) {
      reasons.push(
        `Orders in progress: ${orderList(open.map((line) => line.orderId))}. Cancel them or wait until the work is approved.`
      )
    }
    const unsettledOrders = unsettled.filter((payment) => payment.orderId !== null)
    if (unsettled.length) {
      reasons.push(
        unsettledOrders.length
          ? `Payments not settled yet: orders ${orderList(unsettledOrders.map((payment) => payment.orderId!))}.`
          : 'A payment of yours is not settled yet.'
      )
    }
    if (refunds.length) {
      reasons.push('A refund to you is still on its way.')
    }
    return reasons
  }

  const [open, unpaid, debits, openRequests, profile] = await Promise.all([
    OrderLine.query().where('contractorId', user.id).whereIn('status', OPEN_LINE_STATUSES),
    Transfer.query().where('contractorId', user.id).whereIn('status', ['pending', 'failed']),
    ContractorDebit.query().where('contractorId', user.id).whereIn('status', ['owed', 'pending']),
    unpaidRequestsOf(user.id),
    UserProfile.findByOrFail('userId', user.id),
  ])
  if (open.length) {
    reasons.push(
      `Orders in progress: ${orderList(open.map((line) => line.orderId))}. Deliver or decline them first.`
    )
  }
  if (unpaid.length) {
    reasons.push('Crewpay has not finished paying you for some approved work yet.')
  }
  if (openRequests.length) {
    const one = openRequests.length === 1
    reasons.push(
      `You have ${openRequests.length} open payment request${one ? '' : 's'} ` +
        `(${orderList(openRequests)}): void ${one ? 'it' : 'them'} first, ` +
        `or wait until ${one ? 'it is' : 'they are'} paid in full.`
    )
  }
  for (const debit of debits) {
    reasons.push(
      `You owe Crewpay ${formatAmount(debit.amount, debit.currency)} (${debit.reason}). Contact Crewpay support to settle it.`
    )
  }
  if (profile.stripeId) {
    try {
      const balance = await stripe().balance.retrieve({}, { stripeAccount: profile.stripeId })
      for (const funds of balancesOf(balance)) {
        if (funds.available !== 0 || funds.pending !== 0) {
          reasons.push(
            `Your balance still holds ${formatAmount(funds.available + funds.pending, funds.currency)} ` +
              `(${formatAmount(funds.pending, funds.currency)} pending). Wait until it is paid out to your bank.`
          )
        }
      }
    } catch (error) {
      reportStripeError(error, { userId: user.id, operation: 'deletion_balance' })
      reasons.push('Your Stripe balance could not be checked just now. Try again in a moment.')
    }
  }
  return reasons
}

/** Deletes the account as described above, or refuses with the reasons (nothing changes) */
export async function deleteAccount(user: User) {
  const reasons = await deletionBlockers(user)
  if (reasons.length) {
    throw DomainError.conflict(`Your account cannot be deleted yet. ${reasons.join(' ')}`)
  }
  await db.transaction(async (trx) => {
    const locked = await UserModel.query({ client: trx })
      .where('id', user.id)
      .whereNull('deletedAt')
      .forUpdate()
      .firstOrFail()
    const oldEmail = locked.email
    const name = locked.fullName
    await notify(trx, {
      key: `account_deleted:${locked.id}`,
      to: { email: oldEmail, name },
      message: 'account_deleted',
      data: { deletedAt: DateTime.now().toISO()! },
    })
    locked.merge({
      fullName: DELETED_NAME,
      email: `deleted-${locked.reference}@deleted.crewpay.invalid`,
      password: randomBytes(32).toString('base64url'),
      optionalMail: false,
      deletedAt: DateTime.now(),
    })
    await locked.save()
    await UserProfile.query({ client: trx }).where('userId', locked.id).update({
      default_payment_method_id: null,
      bank_name: null,
      bank_last4: null,
      tos_ip: null,
      tos_user_agent: null,
    })
    await trx
      .from('services')
      .where('contractor_id', locked.id)
      .whereNull('deleted_at')
      .update({ deleted_at: new Date(), active: false })
    await trx.from('cart_items').where('employer_id', locked.id).delete()
    await trx.from('password_reset_tokens').where('user_id', locked.id).delete()
    await trx.from('email_changes').where('user_id', locked.id).delete()
  })
  await endSessions(user.id)
}
