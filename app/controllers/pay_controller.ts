import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import User from '#models/user'
import { DomainError } from '#exceptions/domain_error'
import { actors } from '#domain/actor'
import { payRequestValidator } from '#validators/payment_requests'
import { toDecimalText } from '#money/amounts'
import { stripeConfig } from '#stripe/client'
import { isStripeError, reportStripeError } from '#stripe/errors'
import { TEST_CARD_CHOICES } from '#actions/billing/payment_methods_page'
import { FieldRefusal } from '#actions/payment_requests/field_refusal'
import { payRequest, type PayOutcome } from '#actions/payment_requests/pay_request'
import { findRequestByToken, isAddressedEmployer } from '#actions/payment_requests/request_parts'
import { requestView } from '#actions/payment_requests/request_view'
import { requestPaymentNotice } from '#actions/payment_requests/payment_notice'
import { listPayableMethods, type PayableMethod } from '#actions/payment_requests/payment_methods'

/** The longest user agent kept with a bank debit's authorization */
const USER_AGENT_LENGTH = 500

/**
 * The employer's side of a payment request: the link's page and its
 * payment form. Only the employer it was sent to may open it (anyone else
 * logged in gets a 404); a guest is asked to log in or sign up with the
 * address filled in, and comes back here after.
 */
export default class PayController {
  async show(ctx: HttpContext) {
    const { auth, params, view, session, response } = ctx
    const token = String(params.token ?? '')
    // The token is in this page's URL: it never goes out in a Referer
    response.header('Referrer-Policy', 'no-referrer')
    const found = await findRequestByToken(token)
    if (!found) {
      throw DomainError.notFound('Payment request not found.')
    }
    const user = auth.user ?? null
    if (!user) {
      // Logging in or signing up comes back here
      session.setIntendedUrl(`/pay/${token}`)
      const contractor = await User.findOrFail(found.contractorId)
      return view.render('pages/pay/guest', {
        request: found,
        contractor,
        email: found.employerEmail,
        loginUrl: `/login?email=${encodeURIComponent(found.employerEmail)}`,
        signupUrl: `/signup?email=${encodeURIComponent(found.employerEmail)}&role=employer`,
      })
    }
    if (!isAddressedEmployer(found, user)) {
      throw DomainError.notFound('Payment request not found.')
    }
    const page = await requestView(found, 'employer')
    const { methods, methodsProblem } = await this.#methods(user)
    const config = stripeConfig()
    const usesElements = config.mode === 'stripe'
    return view.render('pages/pay/show', {
      ...page,
      // Card payments waiting for the employer's bank (3-D Secure): continue or cancel
      waiting: page.payments.filter((line) => line.payment.status === 'requires_action'),
      token,
      methods,
      methodsProblem,
      formToken: randomUUID(),
      amountValue: page.totals.balanceDue
        ? toDecimalText(page.totals.balanceDue, found.currency)
        : '',
      usesElements,
      publishableKey: usesElements ? config.publishableKey : null,
      testCards: usesElements ? [] : TEST_CARD_CHOICES,
    })
  }

  async store(ctx: HttpContext) {
    const { auth, params, request, response, session } = ctx
    const token = String(params.token ?? '')
    const employer = auth.getUserOrFail()
    const found = await findRequestByToken(token)
    if (!found || !isAddressedEmployer(found, employer)) {
      throw DomainError.notFound('Payment request not found.')
    }
    const back = `/pay/${token}`
    const [invalid, input] = await payRequestValidator.tryValidate(request.all(), {
      meta: { currency: found.currency },
    })
    if (invalid) {
      if (request.accepts(['html', 'json']) === 'json') {
        throw invalid
      }
      session.flashValidationErrors(invalid)
      return response.redirect(back)
    }
    let paid: PayOutcome
    try {
      paid = await payRequest(found, employer, {
        amount: input.amount,
        method:
          input.payment_method === 'new'
            ? {
                kind: 'new',
                paymentMethodId: input.new_payment_method!,
                save: Boolean(input.save_card),
              }
            : { kind: 'saved', paymentMethodId: input.payment_method, orNew: true },
        formToken: input.form_token ?? null,
        actor: actors.party('employer', employer.id),
        mandate: input.authorize_debit
          ? {
              type: 'online',
              ipAddress: request.ip(),
              userAgent: String(request.header('user-agent') ?? 'unknown').slice(
                0,
                USER_AGENT_LENGTH
              ),
            }
          : null,
      })
    } catch (error) {
      if (!(error instanceof FieldRefusal) || request.accepts(['html', 'json']) === 'json') {
        throw error
      }
      session.flashExcept(['_csrf', 'form_token'])
      session.flash('inputErrorsBag', { [error.field]: [error.message] })
      return response.redirect(back)
    }
    this.#flashOutcome(ctx, paid)
    return response.redirect(back)
  }

  #flashOutcome({ session }: HttpContext, { payment }: PayOutcome) {
    const notice = requestPaymentNotice(payment)
    session.flash(notice.kind, notice.text)
  }

  /** The employer's saved cards and bank accounts; Stripe not answering is said, not a 500 */
  async #methods(user: User): Promise<{ methods: PayableMethod[]; methodsProblem: string | null }> {
    try {
      return { methods: await listPayableMethods(user), methodsProblem: null }
    } catch (error) {
      if (!isStripeError(error)) {
        throw error
      }
      reportStripeError(error, { userId: user.id, operation: 'list_payment_methods' })
      return {
        methods: [],
        methodsProblem:
          'Your saved cards and bank accounts cannot be shown right now: our payment provider did ' +
          'not answer. You can still pay with a new card, or try again in a moment.',
      }
    }
  }
}
