import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import Order from '#models/order'
import { DomainError } from '#exceptions/domain_error'
import { placeOrderValidator, declineValidator, payAgainValidator } from '#validators/orders'
import { cursorOf } from '#services/keyset'
import { actors } from '#domain/actor'
import { AUTHORIZATION_UNKNOWN } from '#domain/order_summary'
import { placeOrder, authorizeOrderPayment, type Placement } from '#actions/orders/place_order'
import { findOrderFor, loadOrderPage } from '#actions/orders/order_page'
import { orderRows } from '#actions/orders/order_rows'
import { livePaymentOf } from '#actions/orders/order_parts'
import { acceptLine } from '#actions/orders/accept_line'
import { declineLine } from '#actions/orders/decline_line'
import { deliverLine } from '#actions/orders/deliver_line'
import { approveLines } from '#actions/orders/approve_line'
import { cancelLines } from '#actions/orders/cancel_line'
import { paymentChoicesFor, paymentMethodLabel } from '#actions/billing/payment_methods'
import { payAgain, replacementOf } from '#actions/orders/pay_again'
import {
  finishPaymentAuthentication,
  paymentAuthenticationUrl,
} from '#actions/payments/authenticate_payment'
import { followIfDue } from '#actions/payments/follow_bank_payments'
import { formatAmount } from '#money/amounts'
import { isRecordId } from '#services/record_id'
import type { DrivenWrite } from '#actions/orders/drive_order'

const PER_PAGE = 20

function lineIdOf(params: Record<string, unknown>) {
  if (params.line === undefined) {
    return null
  }
  const id = Number(params.line)
  if (!isRecordId(id)) {
    throw DomainError.notFound('Order line not found.')
  }
  return id
}

/** A Stripe write this request sent that got no answer: said honestly, never as done */
function unansweredOf(driven: DrivenWrite[]) {
  return driven.find((write) => write.outcome.kind === 'unknown')
}

export default class OrdersController {
  async index({ auth, request, view }: HttpContext) {
    const user = auth.getUserOrFail()
    const cursor = cursorOf(request.qs())
    const page = await orderRows(user, { cursor, perPage: PER_PAGE })
    return view.render('pages/orders/index', { ...page, paged: cursor !== null })
  }

  async show(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    let page = await loadOrderPage(order, user)
    // A bank debit past its expected date: its outcome is looked up now (a
    // webhook may be late), through the same recorder as the webhook
    if (await followIfDue(page.payment)) {
      page = await loadOrderPage(order, user)
    }
    const isEmployer = page.viewer === 'employer'
    const [methodLabel, replacement, replaces] = await Promise.all([
      page.payment ? paymentMethodLabel(page.payment) : null,
      replacementOf(order.id),
      order.replacesOrderId ? Order.find(order.replacesOrderId) : null,
    ])
    const payAgainChoices =
      isEmployer && page.payment?.status === 'failed' && !replacement
        ? await paymentChoicesFor(user, order.currency)
        : null
    return ctx.view.render('pages/orders/show', {
      ...page,
      methodLabel,
      replacement,
      replaces: replaces && replaces.employerId === order.employerId ? replaces : null,
      payAgain: payAgainChoices,
      formToken: randomUUID(),
    })
  }

  async store(ctx: HttpContext) {
    const { auth, request, response } = ctx
    const employer = auth.getUserOrFail()
    const input = await request.validateUsing(placeOrderValidator)
    const placement = await placeOrder(employer, {
      serviceIds: [input.service_id],
      note: input.note ?? null,
      paymentMethodId: input.payment_method ?? null,
      formToken: input.form_token ?? null,
      onSession: true,
    })
    this.#flashPlacement(ctx, placement)
    return response.redirect(`/orders/${placement.order.id}`)
  }

  /** A failed payment: the same services ordered again, paid with the method chosen now */
  async payAgain(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    const input = await ctx.request.validateUsing(payAgainValidator)
    const placement = await payAgain(user, order, {
      paymentMethodId: input.payment_method ?? null,
      formToken: input.form_token ?? null,
    })
    this.#flashPlacement(ctx, placement)
    return ctx.response.redirect(`/orders/${placement.order.id}`)
  }

  /** "Authenticate your payment": to the bank's page (3-D Secure) */
  async authenticate(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    if (order.employerId !== user.id) {
      throw DomainError.forbidden(
        `Only the employer of order #${order.id} can authenticate its payment.`
      )
    }
    const url = await paymentAuthenticationUrl(order)
    if (!url) {
      ctx.session.flash('success', 'This payment does not need authentication any more.')
      return ctx.response.redirect(`/orders/${order.id}`)
    }
    return ctx.response.redirect(url)
  }

  /** Back from the bank's page: the payment follows its PaymentIntent */
  async authenticated(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    if (order.employerId !== user.id) {
      throw DomainError.forbidden(
        `Only the employer of order #${order.id} can authenticate its payment.`
      )
    }
    const payment = await finishPaymentAuthentication(
      order,
      String(ctx.request.qs().payment_intent ?? '')
    )
    this.#flashPlacement(ctx, { order, payment, outcome: 'recorded' })
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  /**
   * A payment whose authorization got no answer from Stripe: what Stripe did
   * with the first attempt is looked up before anything is sent again, so it
   * can never place a second hold.
   */
  async retry(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    if (order.employerId !== user.id) {
      throw DomainError.forbidden(`Only the employer of order #${order.id} can do this.`)
    }
    const payment = await livePaymentOf(order.id)
    if (!payment || payment.status !== 'pending') {
      throw DomainError.conflict(
        `Cannot retry the payment: order #${order.id} is not waiting for one.`
      )
    }
    const placement = await authorizeOrderPayment(order, payment, { retry: true })
    this.#flashPlacement(ctx, placement)
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  #flashPlacement({ session }: HttpContext, { payment }: Placement) {
    const money = formatAmount(payment.amount, payment.currency)
    switch (payment.status) {
      case 'authorized':
        session.flash(
          'success',
          `Your card is authorized for ${money}. You will be charged when you approve the work.`
        )
        break
      case 'succeeded':
        session.flash(
          'success',
          `You paid ${money}. Each contractor is paid when you approve their work.`
        )
        break
      case 'processing':
        session.flash(
          'success',
          `Your bank payment of ${money} is processing: it usually takes 4 business days.`
        )
        break
      case 'pending':
        session.flash('error', AUTHORIZATION_UNKNOWN)
        break
      case 'failed':
        // The order page says why, once, in its "Payment failed" section
        break
      case 'requires_action':
        session.flash(
          'error',
          'Your bank asks you to authenticate this payment: use “Authenticate your payment” to finish.'
        )
        break
    }
  }

  async accept(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    await acceptLine(order.id, lineIdOf(ctx.params), user)
    ctx.session.flash(
      'success',
      'Accepted. You are paid when the employer approves the work you deliver.'
    )
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async decline(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    const { reason } = await ctx.request.validateUsing(declineValidator)
    await declineLine(order.id, lineIdOf(ctx.params), user, reason ?? null)
    ctx.session.flash('success', "Declined. The employer's money for it goes back to them.")
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async deliver(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    await deliverLine(order.id, lineIdOf(ctx.params), user)
    ctx.session.flash('success', 'Marked as delivered. The employer is asked to approve the work.')
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async approve(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    if (order.employerId !== user.id) {
      throw DomainError.forbidden(`Only the employer of order #${order.id} can approve the work.`)
    }
    const approval = await approveLines(
      order.id,
      lineIdOf(ctx.params),
      actors.party('employer', user.id)
    )
    const payment = await livePaymentOf(order.id)
    if (unansweredOf(approval.driven)) {
      ctx.session.flash(
        'error',
        'Approved, but Stripe did not answer yet, so the payment to the contractor is still pending. ' +
          'It is sent again automatically, and never twice.'
      )
    } else if (payment?.flow === 'hold') {
      ctx.session.flash(
        'success',
        `Work approved: ${formatAmount(payment.amountCaptured, payment.currency)} charged and sent to the contractor.`
      )
    } else {
      const total = approval.lines.reduce((sum, line) => sum + line.amount - line.feeAmount, 0)
      ctx.session.flash(
        'success',
        payment?.isCaptured
          ? `Work approved: ${formatAmount(total, order.currency)} sent to the contractor${approval.lines.length > 1 ? 's' : ''}.`
          : 'Work approved: the contractor is paid as soon as your payment clears.'
      )
    }
    return ctx.response.redirect(`/orders/${order.id}`)
  }

  async cancel(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const order = await findOrderFor(user, ctx.params.id)
    if (order.employerId !== user.id) {
      throw DomainError.forbidden(`Only the employer of order #${order.id} can cancel it.`)
    }
    const { driven } = await cancelLines(
      order.id,
      lineIdOf(ctx.params),
      actors.party('employer', user.id)
    )
    const payment = await livePaymentOf(order.id)
    if (unansweredOf(driven)) {
      ctx.session.flash(
        'error',
        'Canceled, but Stripe did not answer yet, so your money is not back yet. It is sent again automatically.'
      )
    } else {
      ctx.session.flash(
        'success',
        payment?.flow === 'hold'
          ? 'Order canceled. The hold on your card is released.'
          : 'Canceled. The price goes back to your payment method.'
      )
    }
    return ctx.response.redirect(`/orders/${order.id}`)
  }
}
