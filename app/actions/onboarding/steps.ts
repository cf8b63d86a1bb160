import type { OnboardingStep } from '#actions/onboarding/requirement_messages'
import type { OnboardingState } from '#actions/onboarding/onboarding_status'

/*
| The onboarding page shows one step at a time (one form), in this order,
| with the progress of all four.
*/

export type { OnboardingStep }

export const ONBOARDING_STEPS: OnboardingStep[] = ['details', 'terms', 'documents', 'bank']

export const STEP_TITLES: Record<OnboardingStep, string> = {
  details: 'Your details',
  terms: 'Terms',
  documents: 'Identity document',
  bank: 'Bank account',
}

/** A step named in the query string, or null for anything else */
export function stepOf(value: unknown): OnboardingStep | null {
  return typeof value === 'string' && (ONBOARDING_STEPS as string[]).includes(value)
    ? (value as OnboardingStep)
    : null
}

/**
 * The step to show: the one asked for, else the first that needs the
 * contractor, else none (everything is sent: the page shows the status).
 */
export function currentStep(state: OnboardingState, asked: OnboardingStep | null) {
  if (asked) {
    return asked
  }
  return ONBOARDING_STEPS.find((step) => state.steps[step] === 'due') ?? null
}
