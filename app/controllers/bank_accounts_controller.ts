import { randomUUID } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import { DomainError } from '#exceptions/domain_error'
import {
  addBankAccountValidator,
  collectBankAccountValidator,
  finishBankAccountValidator,
  verifyBankAccountValidator,
} from '#validators/bank_accounts'
import { loadPaymentMethodsPage } from '#actions/billing/payment_methods_page'
import {
  addBankAccount,
  finishBankAccountCollection,
  startBankAccountCollection,
} from '#actions/bank_accounts/add_bank_account'
import {
  removeBankAccount,
  setDefaultBankAccount,
  verifyBankAccount,
  type Verification,
} from '#actions/bank_accounts/manage_bank_account'
import { mandateAcceptance } from '#actions/bank_accounts/mandate'
import type BankAccount from '#models/bank_account'
import { stripeConfig } from '#stripe/client'

/** What the form may keep when it comes back refused: never the account number */
const KEPT_FIELDS = ['routing_number', 'account_holder_name', 'account_holder_type']

function savedMessage(row: BankAccount) {
  return row.status === 'verified'
    ? `${row.label} is saved and verified: you can pay orders from it.`
    : `${row.label} is saved. Two small deposits reach it within 1–2 business days: ` +
        'enter their amounts below to verify it.'
}

/**
 * Employers' bank accounts (ACH Direct Debit), on the payment methods page
 * beside the cards. Refusals come back to the page as messages; another
 * employer's bank account is a 404.
 */
export default class BankAccountsController {
  /** The same payment methods page as /cards */
  async index({ auth, view }: HttpContext) {
    return view.render('pages/cards/index', await loadPaymentMethodsPage(auth.getUserOrFail()))
  }

  /**
   * Sandbox mode: the numbers, the holder and the mandate. With real Stripe:
   * the bank account Stripe.js linked (`bank_account`), and the mandate.
   */
  async store(ctx: HttpContext) {
    const { auth, request, response, session } = ctx
    const employer = auth.getUserOrFail()
    const client = { ip: request.ip(), userAgent: request.header('user-agent') }

    if (stripeConfig().mode === 'stripe') {
      if (request.input('account_number') !== undefined) {
        // Never with real Stripe: the account is entered in Stripe's own form
        throw DomainError.invalid(
          'Bank account numbers are entered in Stripe’s secure form, not sent to Crewpay. ' +
            'Use “Link your bank account”.'
        )
      }
      const input = await request.validateUsing(finishBankAccountValidator)
      const row = await finishBankAccountCollection(
        employer,
        input.bank_account,
        mandateAcceptance(client)
      )
      session.flash('success', savedMessage(row))
      return response.redirect('/bank-accounts')
    }

    const [invalid, input] = await addBankAccountValidator.tryValidate(request.all())
    if (invalid) {
      if (request.accepts(['html', 'json']) === 'json') {
        throw invalid
      }
      // The account number is never flashed back (the session is stored)
      session.flashValidationErrors(invalid, false)
      session.flashOnly(KEPT_FIELDS)
      return response.redirect('/bank-accounts')
    }
    try {
      const row = await addBankAccount(
        employer,
        {
          routingNumber: input.routing_number,
          accountNumber: input.account_number,
          holderName: input.account_holder_name,
          holderType: input.account_holder_type,
        },
        mandateAcceptance(client),
        input.form_token ?? randomUUID()
      )
      session.flash('success', savedMessage(row))
    } catch (error) {
      if (!(error instanceof DomainError) || request.accepts(['html', 'json']) === 'json') {
        throw error
      }
      session.flashOnly(KEPT_FIELDS)
      session.flash('error', error.message)
    }
    return response.redirect('/bank-accounts')
  }

  /**
   * Real Stripe (JSON, from the page's script): the SetupIntent Stripe.js
   * collects the account with. The mandate must already be accepted.
   */
  async collect({ auth, request, response }: HttpContext) {
    if (stripeConfig().mode !== 'stripe') {
      throw DomainError.notFound('Not found.')
    }
    const input = await request.validateUsing(collectBankAccountValidator)
    const { row, clientSecret } = await startBankAccountCollection(
      auth.getUserOrFail(),
      input.account_holder_type,
      mandateAcceptance({ ip: request.ip(), userAgent: request.header('user-agent') }),
      input.form_token
    )
    return response.json({ bank_account: row.id, client_secret: clientSecret })
  }

  async verify({ auth, params, request, response, session }: HttpContext) {
    const employer = auth.getUserOrFail()
    const input = await request.validateUsing(verifyBankAccountValidator)
    const hasAmounts = input.amount_1 !== undefined || input.amount_2 !== undefined
    if (hasAmounts && input.descriptor_code !== undefined) {
      throw DomainError.invalid('Enter either the two amounts or the code, not both.')
    }
    let verification: Verification
    if (input.descriptor_code !== undefined) {
      verification = { descriptorCode: input.descriptor_code.toUpperCase() }
    } else if (input.amount_1 !== undefined && input.amount_2 !== undefined) {
      const amounts = [Number(input.amount_1), Number(input.amount_2)] as [number, number]
      if (amounts.some((amount) => amount < 1 || amount > 99)) {
        throw DomainError.invalid('Enter each amount in cents, from 1 to 99 (for example 32).')
      }
      verification = { amounts }
    } else {
      throw DomainError.invalid(
        'Enter the two deposit amounts in cents, or the code that starts with SM.'
      )
    }
    const row = await verifyBankAccount(
      employer,
      params.id,
      verification,
      input.form_token ?? randomUUID()
    )
    session.flash('success', `${row.label} is verified: you can pay orders from it.`)
    return response.redirect('/bank-accounts')
  }

  async makeDefault({ auth, params, response, session }: HttpContext) {
    const row = await setDefaultBankAccount(auth.getUserOrFail(), params.id)
    session.flash('success', `${row.label} is now your default payment method.`)
    return response.redirect('/bank-accounts')
  }

  async destroy({ auth, params, response, session }: HttpContext) {
    const { removed, newDefault } = await removeBankAccount(auth.getUserOrFail(), params.id)
    session.flash(
      'success',
      newDefault
        ? `${removed.label} removed. ${newDefault} is now your default payment method.`
        : `${removed.label} removed.`
    )
    return response.redirect('/bank-accounts')
  }
}
