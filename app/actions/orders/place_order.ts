import db from '@adonisjs/lucid/services/db'
import type User from '#models/user'
import Order from '#models/order'
import OrderLine from '#models/order_line'
import Payment, { type PaymentFlow, type PaymentMethodType } from '#models/payment'
import Service from '#models/service'
import UserProfile from '#models/user_profile'
import { DomainError } from '#exceptions/domain_error'
import { assertMethodTakesCurrency, choosePaymentMethod } from '#actions/billing/payment_methods'
import { feePlanOf } from '#actions/contractors/fee_plans'
import { platformFee } from '#money/fees'
import { recordPaymentEvent } from '#services/payment_events'
import { sendToStripe, type WriteOutcome } from '#stripe/write'
import {
  authorizePayment,
  authorizePaymentWith,
  type KnownIntentParts,
} from '#actions/payments/authorize_payment'
import { livePaymentOf } from '#actions/orders/order_parts'

export interface PlaceOrderInput {
  /** One line per service; the same service twice is refused */
  serviceIds: number[]
  note?: string | null
  /** One of the employer's saved payment methods; the default card otherwise */
  paymentMethodId?: string | null
  /** The order form's token: the same form submitted again is the same order */
  formToken?: string | null
  /**
   * The employer is there (the website): a card payment is confirmed on
   * session, so Stripe may ask them to authenticate (3-D Secure) and resume
   */
  onSession?: boolean
  /** "Pay again": the order whose payment failed, placed again by this one */
  replacesOrderId?: number | null
}

export interface Placement {
  order: Order
  payment: Payment
  /** What Stripe answered to the authorization (or charge) */
  outcome: WriteOutcome<Payment>['kind']
}

/** Whether a contractor's account can take card payments and receive transfers */
export function canTakeOrders(profile: UserProfile | null) {
  return Boolean(
    profile?.stripeId && profile.chargesEnabled && profile.transfersCapability === 'active'
  )
}

/**
 * The flow of an order's payment (DESIGN.md "Money flows"): a one-line card
 * order is held and captured on approval; several lines, or a bank debit
 * (which cannot be held), are charged at once and paid out line by line.
 */
export function flowFor(lineCount: number, methodType: PaymentMethodType): PaymentFlow {
  return lineCount === 1 && methodType === 'card' ? 'hold' : 'charge'
}

async function servicesFor(serviceIds: number[]) {
  if (serviceIds.length === 0) {
    throw DomainError.invalid('Choose at least one service.')
  }
  if (new Set(serviceIds).size !== serviceIds.length) {
    throw DomainError.invalid('Each service can be ordered once per order.')
  }
  const services = await Service.query().whereIn('id', serviceIds).where('active', true)
  if (services.length !== serviceIds.length) {
    throw DomainError.notFound('This service is not available.')
  }
  const byId = new Map(services.map((service) => [service.id, service]))
  const ordered = serviceIds.map((id) => byId.get(id)!)
  const currencies = new Set(ordered.map((service) => service.currency))
  if (currencies.size > 1) {
    throw DomainError.invalid(
      `An order is paid in one currency; these services are priced in ${[...currencies]
        .map((code) => code.toUpperCase())
        .join(' and ')}. Order them separately.`
    )
  }
  const profiles = await UserProfile.query().whereIn(
    'userId',
    ordered.map((service) => service.contractorId)
  )
  const profileOf = new Map(profiles.map((profile) => [profile.userId, profile]))
  for (const service of ordered) {
    if (!canTakeOrders(profileOf.get(service.contractorId) ?? null)) {
      throw DomainError.conflict(
        services.length > 1
          ? `The contractor of “${service.title}” cannot take orders right now.`
          : 'This contractor cannot take orders right now.'
      )
    }
  }
  // The contractors' profiles go along: their fee plans and Stripe accounts
  return ordered.map((service) => ({ service, profile: profileOf.get(service.contractorId)! }))
}

function isFormTokenTwin(error: unknown) {
  const failure = error as { code?: string; constraint?: string }
  return failure.code === '23505' && failure.constraint === 'orders_employer_id_form_token_unique'
}

/**
 * An employer orders services: the order, its lines (each with its fee from
 * the contractor's plan, snapshotted) and its payment are written first
 * (payment "pending"), then the payment is authorized (hold) or charged
 * (charge) on Stripe with the payment's own key. A crash in between leaves a
 * pending payment that the same key completes ("Try again", reconciliation).
 */
export async function placeOrder(employer: User, input: PlaceOrderInput): Promise<Placement> {
  // Each read once, here, and passed along (issue 18: the same profile was read 4 times)
  const [servicesRead, methodRead] = await Promise.allSettled([
    servicesFor(input.serviceIds),
    choosePaymentMethod(employer, input.paymentMethodId),
  ])
  // The services' refusal first, as when they were read one after the other
  if (servicesRead.status === 'rejected') {
    throw servicesRead.reason
  }
  if (methodRead.status === 'rejected') {
    throw methodRead.reason
  }
  const services = servicesRead.value
  const method = methodRead.value
  const currency = services[0].service.currency
  assertMethodTakesCurrency(method, currency)
  const flow = flowFor(services.length, method.methodType)
  const lines = services.map(({ service, profile }) => {
    const plan = feePlanOf(profile)
    return { service, profile, plan, fee: platformFee(service.price, plan) }
  })
  const total = lines.reduce((sum, line) => sum + line.service.price, 0)

  let placed: { order: Order; payment: Payment }
  try {
    placed = await db.transaction(async (trx) => {
      const order = await Order.create(
        {
          employerId: employer.id,
          currency,
          total,
          note: input.note ?? null,
          formToken: input.formToken ?? null,
          replacesOrderId: input.replacesOrderId ?? null,
        },
        { client: trx }
      )
      for (const { service, plan, fee } of lines) {
        await OrderLine.create(
          {
            orderId: order.id,
            contractorId: service.contractorId,
            serviceId: service.id,
            title: service.title,
            unitPrice: service.price,
            amount: service.price,
            feeAmount: fee,
            feePlan: plan,
            status: 'requested',
          },
          { client: trx }
        )
      }
      const payment = await Payment.create(
        {
          orderId: order.id,
          employerId: employer.id,
          methodType: method.methodType,
          paymentMethodId: method.id,
          flow,
          // A bank debit is always off session, under the mandate the employer accepted
          onSession: Boolean(input.onSession) && method.methodType === 'card',
          amount: total,
          currency,
          applicationFeeAmount: flow === 'hold' ? lines[0].fee : null,
          status: 'pending',
        },
        { client: trx }
      )
      await recordPaymentEvent(trx, {
        orderId: order.id,
        paymentId: payment.id,
        actor: `user:${employer.id}`,
        type: 'order.placed',
        toStatus: 'pending',
        amount: total,
        currency,
        message: `${lines.length} line${lines.length > 1 ? 's' : ''}, paid by ${flow === 'hold' ? 'a hold on the card' : method.methodType === 'card' ? 'card' : 'bank debit'}`,
      })
      return { order, payment }
    })
  } catch (error) {
    if (!isFormTokenTwin(error)) {
      throw error
    }
    // The same form submitted again: that order, not a second one. Its
    // payment is being sent by the first submit: that one records the answer
    const order = await Order.query()
      .where('employerId', employer.id)
      .where('formToken', input.formToken!)
      .firstOrFail()
    const payment = await livePaymentOf(order.id)
    return { order, payment: payment!, outcome: 'recorded' }
  }

  return authorizeOrderPayment(placed.order, placed.payment, {
    known: {
      customerId: method.customerId,
      lines: lines.map(({ service, fee }) => ({
        contractorId: service.contractorId,
        feeAmount: fee,
      })),
      destinations: new Map(
        lines.map(({ service, profile }) => [service.contractorId, profile.stripeId!])
      ),
    },
  })
}

/**
 * Sends a pending payment of an order to Stripe (again): the first time
 * fresh, on a retry after looking for what an earlier attempt made.
 */
export async function authorizeOrderPayment(
  order: Order,
  payment: Payment,
  options: { retry?: boolean; known?: KnownIntentParts }
): Promise<Placement> {
  if (payment.status !== 'pending') {
    return { order, payment, outcome: 'recorded' }
  }
  const outcome = await sendToStripe(
    options.known ? authorizePaymentWith(options.known) : authorizePayment,
    payment,
    {
      lookFirst: options.retry,
      // A payment this request has just written was never sent: nothing to look
      // for first (Stripe's clock, the sandbox's in tests, may be days ahead)
      writtenAt: options.known ? undefined : payment.createdAt,
    }
  )
  // The row the answer was recorded on is the payment as it is now; only when
  // another process recorded it (or nothing was) is it read again
  if (outcome.row === payment) {
    await payment.refresh()
    return { order, payment, outcome: outcome.kind }
  }
  return { order, payment: outcome.row, outcome: outcome.kind }
}
