import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { ActionError } from '#exceptions/action_error'
import UserProfile from '#models/user_profile'
import {
  bankValidator,
  detailsValidator,
  documentsValidator,
  termsValidator,
} from '#validators/onboarding'
import { loadOnboarding } from '#actions/onboarding/load_onboarding'
import { idNumberOnFile, submitDetails } from '#actions/onboarding/submit_details'
import { acceptTerms, CONNECTED_ACCOUNT_AGREEMENT_URL } from '#actions/onboarding/accept_terms'
import { uploadDocuments } from '#actions/onboarding/upload_documents'
import { addBankAccount } from '#actions/onboarding/add_bank_account'

/** Never flashed back into the form (the session is not a place for them) */
const SENSITIVE_FIELDS = ['_csrf', '_method', 'id_number', 'ssn_last_4', 'account_number']

/**
 * Runs one onboarding form: on success back to the page with a message. A
 * validation error goes back to the form itself (its anchor), inline; a
 * refusal (Stripe's included) is flashed at the top of the page. Either way
 * what was typed is kept, except identity and account numbers.
 */
async function submitForm(
  ctx: HttpContext,
  form: 'details' | 'terms' | 'documents' | 'bank',
  success: string,
  work: () => Promise<unknown>
) {
  const { session, response } = ctx
  try {
    await work()
    session.flash('success', success)
    return response.redirect('/onboarding')
  } catch (error) {
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      session.flashValidationErrors(error, false)
      session.flashExcept(SENSITIVE_FIELDS)
      return response.redirect(`/onboarding#${form}`)
    }
    if (error instanceof ActionError && ![403, 404].includes(error.status)) {
      session.flash('error', error.message)
      session.flashExcept(SENSITIVE_FIELDS)
      return response.redirect('/onboarding')
    }
    throw error
  }
}

export default class OnboardingController {
  async show({ auth, view }: HttpContext) {
    const { state, ...page } = await loadOnboarding(auth.getUserOrFail())
    return view.render('pages/onboarding/show', {
      ...page,
      // `state` is a reserved name in Edge templates
      onboarding: state,
      agreementUrl: CONNECTED_ACCOUNT_AGREEMENT_URL,
    })
  }

  async details(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    return submitForm(ctx, 'details', 'Your details were sent to Stripe.', async () => {
      const profile = await UserProfile.findByOrFail('userId', user.id)
      const input = await ctx.request.validateUsing(detailsValidator, {
        meta: { idNumberOnFile: idNumberOnFile(profile) },
      })
      await submitDetails(user, input)
    })
  }

  async terms(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    return submitForm(
      ctx,
      'terms',
      'You accepted the Stripe Connected Account Agreement.',
      async () => {
        await ctx.request.validateUsing(termsValidator)
        await acceptTerms(user, {
          ip: ctx.request.ip(),
          userAgent: ctx.request.header('user-agent') ?? null,
        })
      }
    )
  }

  async documents(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    // The uploads are deleted by the discard_uploads middleware, whatever happens
    return submitForm(
      ctx,
      'documents',
      'Your documents were sent to Stripe for verification.',
      async () => {
        const uploads = await ctx.request.validateUsing(documentsValidator)
        await uploadDocuments(user, uploads)
      }
    )
  }

  async bank(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    return submitForm(ctx, 'bank', 'Your bank account was added.', async () => {
      const input = await ctx.request.validateUsing(bankValidator)
      await addBankAccount(user, input)
    })
  }
}
