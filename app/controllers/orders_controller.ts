import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import Order from '#models/order'
import PaymentEvent from '#models/payment_event'
import UserProfile from '#models/user_profile'
import { ActionError } from '#exceptions/action_error'
import { placeOrderValidator } from '#validators/orders'
import { pageOf } from '#validators/pagination'
import { placeOrder } from '#actions/orders/place_order'
import { acceptOrder } from '#actions/orders/accept_order'
import { deliverOrder } from '#actions/orders/deliver_order'
import { captureOrder } from '#actions/orders/capture_order'
import { cancelOrder } from '#actions/orders/cancel_order'
import { assertOrderStatus, assertParty } from '#actions/orders/order_errors'
import { authorizeOrder } from '#actions/orders/authorize_order'
import { listCards } from '#actions/billing/list_cards'
import { formatAmount } from '#money/amounts'
import { isRecordId } from '#services/record_id'

const PER_PAGE = 20

export default class OrdersController {
  /** The order, when the user is one of its parties; 404 for everybody else */
  async #findOwnOrder({ params, bouncer }: HttpContext) {
    const id = Number(params.id)
    if (!isRecordId(id)) {
      throw new ActionError('Order not found.', 404)
    }
    const order = await Order.query()
      .where('id', id)
      .preload('service')
      .preload('employer')
      .preload('contractor')
      .first()
    if (!order || (await bouncer.with('OrderPolicy').denies('view', order))) {
      throw new ActionError('Order not found.', 404)
    }
    return order
  }

  async index({ auth, request, view }: HttpContext) {
    const user = auth.getUserOrFail()
    const page = await pageOf(request.qs())
    const orders = await Order.query()
      .where(user.role === 'employer' ? 'employerId' : 'contractorId', user.id)
      .preload('service')
      .preload('employer')
      .preload('contractor')
      .orderBy('id', 'desc')
      .paginate(page, PER_PAGE)
    orders.baseUrl('/orders')
    return view.render('pages/orders/index', { orders })
  }

  async show(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    const timeline = await PaymentEvent.query().where('orderId', order.id).orderBy('id', 'asc')
    const user = ctx.auth.getUserOrFail()
    let cards: Awaited<ReturnType<typeof listCards>> = []
    if (order.status === 'failed' && user.id === order.employerId) {
      const profile = await UserProfile.findByOrFail('userId', user.id)
      cards = profile.stripeId
        ? await listCards(profile.stripeId, profile.defaultPaymentMethodId).catch(() => [])
        : []
    }
    return ctx.view.render('pages/orders/show', { order, timeline, cards, formToken: randomUUID() })
  }

  async store(ctx: HttpContext) {
    const { auth, request, response } = ctx
    const employer = auth.getUserOrFail()
    const input = await request.validateUsing(placeOrderValidator)
    const order = await placeOrder(employer, {
      serviceId: input.service_id,
      note: input.note ?? null,
      paymentMethodId: input.payment_method ?? null,
      formToken: input.form_token ?? null,
    })
    this.#flashPlacement(ctx, order)
    return response.redirect(`/orders/${order.id}`)
  }

  /**
   * An order whose authorization got no answer from Stripe: what Stripe did
   * with the first attempt is looked up before a new one is made, so it can
   * never place a second hold.
   */
  async retry(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    const user = ctx.auth.getUserOrFail()
    assertParty(order, user.id, 'employer')
    assertOrderStatus(order, ['pending'], 'retry the payment')
    const settled = await authorizeOrder(order.id, `user:${user.id}`, { retry: true })
    this.#flashPlacement(ctx, settled)
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  #flashPlacement({ session }: HttpContext, order: Order) {
    if (order.status === 'authorized') {
      session.flash(
        'success',
        `Your card is authorized for ${formatAmount(order.amount, order.currency)}. ` +
          'You will be charged when you approve the work.'
      )
    } else if (order.status === 'pending' || order.status === 'failed') {
      session.flash('error', order.failureMessage ?? 'The card could not be authorized.')
    }
  }

  async accept(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    await acceptOrder(order.id, ctx.auth.getUserOrFail())
    ctx.session.flash(
      'success',
      'Order accepted. The payment stays held until the work is approved.'
    )
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async decline(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    const user = ctx.auth.getUserOrFail()
    await cancelOrder(order.id, {
      actor: `user:${user.id}`,
      from: ['authorized'],
      reason: 'abandoned',
      check: (locked) => assertParty(locked, user.id, 'contractor'),
    })
    ctx.session.flash('success', "Order declined. The employer's card hold is released.")
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async deliver(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    await deliverOrder(order.id, ctx.auth.getUserOrFail())
    ctx.session.flash('success', 'Marked as delivered. The employer is asked to approve the work.')
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async approve(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    const user = ctx.auth.getUserOrFail()
    const captured = await captureOrder(order.id, {
      actor: `user:${user.id}`,
      from: ['delivered'],
      check: (locked) => assertParty(locked, user.id, 'employer'),
    })
    ctx.session.flash(
      'success',
      `Work approved: ${formatAmount(captured.amountCaptured, captured.currency)} charged and sent to the contractor.`
    )
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async cancel(ctx: HttpContext) {
    const order = await this.#findOwnOrder(ctx)
    const user = ctx.auth.getUserOrFail()
    await cancelOrder(order.id, {
      actor: `user:${user.id}`,
      from: ['authorized'],
      reason: 'requested_by_customer',
      check: (locked) => assertParty(locked, user.id, 'employer'),
    })
    ctx.session.flash('success', 'Order canceled. The hold on your card is released.')
    return ctx.response.redirect(`/orders/${order.id}`)
  }
}
