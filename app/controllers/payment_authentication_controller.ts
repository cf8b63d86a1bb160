import type { HttpContext } from '@adonisjs/core/http'
import { actors } from '#domain/actor'
import {
  cancelWaitingAuthentication,
  finishRequestPaymentAuthentication,
  findEmployerRequestPayment,
  payPageOf,
  requestPaymentAuthenticationUrl,
} from '#actions/payment_requests/authenticate_request_payment'
import { requestPaymentNotice } from '#actions/payment_requests/payment_notice'

/**
 * 3-D Secure for a payment request's payment: to the bank's page and back,
 * or canceling a payment left waiting. Only the payment's employer (anyone
 * else: 404); each ends on the request's pay page.
 */
export default class PaymentAuthenticationController {
  /** A link from the pay page to the bank's page (a link: the CSP's form-action is 'self') */
  async authenticate({ auth, params, response, session }: HttpContext) {
    const payment = await findEmployerRequestPayment(auth.getUserOrFail(), params.id)
    const url = await requestPaymentAuthenticationUrl(payment)
    if (url) {
      return response.redirect(url)
    }
    // Looking for the bank's page may have recorded Stripe's answer meanwhile
    await payment.refresh()
    const { path } = await payPageOf(payment)
    const notice =
      payment.status === 'requires_action'
        ? requestPaymentNotice(payment, 'authenticated')
        : { kind: 'success' as const, text: 'This payment does not need your bank any more.' }
    session.flash(notice.kind, notice.text)
    return response.redirect(path)
  }

  /** The return_url: what Stripe says about the PaymentIntent, never the query */
  async authenticated({ auth, params, response, session }: HttpContext) {
    const payment = await findEmployerRequestPayment(auth.getUserOrFail(), params.id)
    const followed = await finishRequestPaymentAuthentication(payment)
    const { path } = await payPageOf(followed)
    const notice = requestPaymentNotice(followed, 'authenticated')
    session.flash(notice.kind, notice.text)
    return response.redirect(path)
  }

  /** "Cancel it and pay another way": frees the amount the waiting payment reserves */
  async cancel({ auth, params, response, session }: HttpContext) {
    const employer = auth.getUserOrFail()
    const payment = await findEmployerRequestPayment(employer, params.id)
    const outcome = await cancelWaitingAuthentication(
      payment,
      actors.party('employer', employer.id),
      'requested_by_customer'
    )
    const { path } = await payPageOf(payment)
    if (payment.status === 'canceled') {
      session.flash(
        'success',
        'The payment waiting for your bank was canceled: nothing was charged.'
      )
    } else if (outcome?.kind === 'unknown') {
      session.flash('error', outcome.error.message)
    } else {
      const notice = requestPaymentNotice(payment, 'authenticated')
      session.flash(notice.kind, notice.text)
    }
    return response.redirect(path)
  }
}
