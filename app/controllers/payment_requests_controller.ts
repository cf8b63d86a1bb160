import type { HttpContext } from '@adonisjs/core/http'
import PaymentRequest from '#models/payment_request'
import User from '#models/user'
import { appUrl } from '#config/app'
import { actors } from '#domain/actor'
import { cursorOf, cursorLinks, keysetPage } from '#services/keyset'
import { createPaymentRequestValidator } from '#validators/payment_requests'
import { CURRENCIES } from '#money/currencies'
import { businessNow } from '#services/clock'
import { businessDay } from '#domain/payment_request_summary'
import { createPaymentRequest } from '#actions/payment_requests/create_request'
import { FieldRefusal } from '#actions/payment_requests/field_refusal'
import { findContractorRequest } from '#actions/payment_requests/request_parts'
import { requestLinkPath } from '#actions/payment_requests/request_link'
import { listRequests, requestView } from '#actions/payment_requests/request_view'
import { resendRequestLink } from '#actions/payment_requests/send_link'
import { voidPaymentRequest } from '#actions/payment_requests/void_request'
import { formatAmount } from '#money/amounts'

const PER_PAGE = 25

function currencyChoices() {
  return Object.values(CURRENCIES).map((currency) => ({
    code: currency.code,
    label: `${currency.code.toUpperCase()} · ${currency.name}`,
  }))
}

/** A contractor's payment requests: send one, follow its payments, resend or cancel it */
export default class PaymentRequestsController {
  async index({ auth, request, view }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const cursor = cursorOf(request.qs())
    const page = await keysetPage(
      PaymentRequest.query().where('contractorId', contractor.id),
      'payment_requests',
      cursor,
      PER_PAGE
    )
    return view.render('pages/payment_requests/index', {
      rows: await listRequests(page.rows),
      paged: cursor !== null,
      ...cursorLinks('/my/payment-requests', page),
      currencies: currencyChoices(),
      today: businessDay(await businessNow()),
    })
  }

  async store({ auth, request, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const today = businessDay(await businessNow())
    const [invalid, input] = await createPaymentRequestValidator.tryValidate(request.all(), {
      meta: { today },
    })
    if (invalid) {
      if (request.accepts(['html', 'json']) === 'json') {
        throw invalid
      }
      session.flashValidationErrors(invalid)
      return response.redirect('/my/payment-requests')
    }
    let created: PaymentRequest
    try {
      created = await createPaymentRequest(contractor, {
        employerEmail: input.employer_email,
        description: input.description,
        amount: input.amount,
        currency: input.currency,
        dueDate: input.due_date,
        minimumPayment: input.minimum_payment ?? null,
      })
    } catch (error) {
      if (!(error instanceof FieldRefusal) || request.accepts(['html', 'json']) === 'json') {
        throw error
      }
      session.flashExcept(['_csrf'])
      session.flash('inputErrorsBag', { [error.field]: [error.message] })
      return response.redirect('/my/payment-requests')
    }
    session.flash(
      'success',
      `Request #${created.id} for ${formatAmount(created.amount, created.currency)} is sent to ${created.employerEmail}.`
    )
    return response.redirect(`/my/payment-requests/${created.id}`)
  }

  async show({ auth, params, view }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const found = await findContractorRequest(contractor, params.id)
    const [row] = await listRequests([found])
    const linkPath = requestLinkPath(found)
    const employer = found.employerId ? await User.find(found.employerId) : null
    return view.render('pages/payment_requests/show', {
      ...row,
      ...(await requestView(found, 'contractor')),
      employer,
      link: linkPath ? new URL(linkPath, appUrl).href : null,
    })
  }

  async resend({ auth, params, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const found = await findContractorRequest(contractor, params.id)
    await resendRequestLink(found.id)
    session.flash('success', `The link was sent again to ${found.employerEmail}.`)
    return response.redirect(`/my/payment-requests/${found.id}`)
  }

  async void({ auth, params, response, session }: HttpContext) {
    const contractor = auth.getUserOrFail()
    const found = await findContractorRequest(contractor, params.id)
    await voidPaymentRequest(found.id, actors.party('contractor', contractor.id))
    session.flash('success', `Request #${found.id} is canceled: its link now says so.`)
    return response.redirect(`/my/payment-requests/${found.id}`)
  }
}
