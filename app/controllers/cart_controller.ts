import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import { DomainError } from '#exceptions/domain_error'
import { addToCartValidator, checkoutValidator } from '#validators/cart'
import { isRecordId } from '#services/record_id'
import { addToCart, loadCart, removeFromCart } from '#actions/cart/cart'
import { checkout } from '#actions/cart/checkout'
import { paymentChoicesFor } from '#actions/billing/payment_methods'
import { formatAmount } from '#money/amounts'

export default class CartController {
  async show({ auth, view }: HttpContext) {
    const employer = auth.getUserOrFail()
    const cart = await loadCart(employer)
    // Cards, and verified bank accounts when the cart is in US dollars
    const methods =
      cart.lines.length > 0
        ? await paymentChoicesFor(
            employer,
            cart.totals.length === 1 ? cart.totals[0].currency : null
          )
        : null
    return view.render('pages/cart/show', {
      cart,
      methods,
      cardsProblem: methods?.problem ?? null,
      formToken: randomUUID(),
    })
  }

  async add({ auth, request, response, session }: HttpContext) {
    const { service_id: serviceId } = await request.validateUsing(addToCartValidator)
    const service = await addToCart(auth.getUserOrFail(), serviceId)
    session.flash(
      'success',
      `“${service.title}” (${formatAmount(service.price, service.currency)}) is in your cart.`
    )
    return response.redirect('/cart')
  }

  async remove({ auth, params, response, session }: HttpContext) {
    const id = Number(params.id)
    if (!isRecordId(id)) {
      throw DomainError.notFound('This item is not in your cart.')
    }
    await removeFromCart(auth.getUserOrFail(), id)
    session.flash('success', 'Removed from your cart.')
    return response.redirect('/cart')
  }

  async checkout({ auth, request, response, session }: HttpContext) {
    const input = await request.validateUsing(checkoutValidator)
    const { order, payment } = await checkout(auth.getUserOrFail(), {
      paymentMethodId: input.payment_method ?? null,
      note: input.note ?? null,
      formToken: input.form_token ?? null,
      onSession: true,
    })
    const money = formatAmount(payment.amount, payment.currency)
    switch (payment.status) {
      case 'failed':
        session.flash(
          'error',
          `${payment.failureMessage ?? 'The payment failed.'} Your cart is kept: try another payment method.`
        )
        return response.redirect('/cart')
      case 'pending':
        session.flash(
          'error',
          'We could not reach our payment provider: open the order and try again. It never charges twice.'
        )
        break
      case 'authorized':
        session.flash(
          'success',
          `Your card is authorized for ${money}. You will be charged when you approve the work.`
        )
        break
      case 'processing':
        session.flash(
          'success',
          `Your bank payment of ${money} is processing: it usually takes 4 business days.`
        )
        break
      default:
        session.flash(
          'success',
          `You paid ${money}. Each contractor is paid when you approve their work.`
        )
    }
    return response.redirect(`/orders/${order.id}`)
  }
}
