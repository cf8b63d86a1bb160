import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import { DomainError } from '#exceptions/domain_error'
import UserProfile from '#models/user_profile'
import {
  bankValidator,
  detailsValidator,
  documentsValidator,
  termsValidator,
  US_STATE_CHOICES,
} from '#validators/onboarding'
import { loadOnboarding, onboardingStatusNow } from '#actions/onboarding/load_onboarding'
import { idNumberOnFile, submitDetails } from '#actions/onboarding/submit_details'
import { acceptTerms, CONNECTED_ACCOUNT_AGREEMENT_URL } from '#actions/onboarding/accept_terms'
import { uploadDocuments } from '#actions/onboarding/upload_documents'
import { addBankAccount } from '#actions/onboarding/add_bank_account'
import {
  currentStep,
  ONBOARDING_STEPS,
  stepOf,
  type OnboardingStep,
} from '#actions/onboarding/steps'
import type { OnboardingState } from '#actions/onboarding/onboarding_status'

/** Never flashed back into the form (the session is not a place for them) */
const SENSITIVE_FIELDS = ['_csrf', '_method', 'id_number', 'ssn_last_4', 'account_number']

/** The page of one step */
export function stepPage(step: OnboardingStep) {
  return `/onboarding?step=${step}`
}

/**
 * Runs one onboarding form: on success to the next step that needs the
 * contractor (or the status). A validation error goes back to the step's
 * form, inline; a refusal (Stripe's included) is flashed on the step's page.
 * Either way what was typed is kept, except identity and account numbers.
 */
async function submitForm(
  ctx: HttpContext,
  form: OnboardingStep,
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
      return response.redirect(stepPage(form))
    }
    const refused = error instanceof DomainError && !['forbidden', 'not_found'].includes(error.kind)
    if (refused) {
      session.flash('error', (error as Error).message)
      session.flashExcept(SENSITIVE_FIELDS)
      return response.redirect(stepPage(form))
    }
    throw error
  }
}

/** The status as the page's script reads it (GET /onboarding/status) */
function statusJson(state: OnboardingState, checkedAt: string | null) {
  return {
    status: state.status.key,
    label: state.status.label,
    summary: state.status.summary,
    steps: state.steps,
    todo: state.todo.map((item) => item.message),
    pending: state.pending,
    checkedAt,
    // Stripe is still checking something: ask again in a moment
    verifying: state.pending.length > 0 || Object.values(state.steps).includes('pending'),
  }
}

export default class OnboardingController {
  async show({ auth, request, view }: HttpContext) {
    const { state, ...page } = await loadOnboarding(auth.getUserOrFail())
    const step = currentStep(state, stepOf(request.qs().step))
    const verifying = statusJson(state, null).verifying
    return view.render('pages/onboarding/show', {
      ...page,
      // `state` is a reserved name in Edge templates
      onboarding: state,
      step,
      stepNumber: step ? ONBOARDING_STEPS.indexOf(step) + 1 : null,
      steps: ONBOARDING_STEPS,
      stepTodo: step ? state.todo.filter((item) => item.step === step) : [],
      otherTodo: state.todo.filter((item) => item.step === null),
      verifying,
      stateChoices: US_STATE_CHOICES,
      agreementUrl: CONNECTED_ACCOUNT_AGREEMENT_URL,
    })
  }

  /** GET /onboarding/status: JSON for the page's script while Stripe verifies */
  async status({ auth, response }: HttpContext) {
    const { profile, state } = await onboardingStatusNow(auth.getUserOrFail())
    response.header('Cache-Control', 'no-store')
    return statusJson(state, profile.stripeSyncedAt?.toISO() ?? null)
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
